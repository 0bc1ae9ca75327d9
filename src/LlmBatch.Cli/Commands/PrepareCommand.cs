using System.ComponentModel;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Input;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary><c>llmbatch prepare INPUT</c>: plain text, CSV or JSONL plus a template into a Batch API request file.</summary>
internal sealed class PrepareCommand : AsyncCommand<PrepareCommand.Settings>
{
    public sealed class Settings : PrepareSettings
    {
        [CommandOption("-o|--output <FILE>")]
        [Description("The request file to write (default: INPUT with extension .requests.jsonl; for a folder of documents FOLDER.requests.jsonl). A FILE.metadata.jsonl with the other columns, or for documents a FILE.documents.jsonl manifest, is written beside it.")]
        public string? Output { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.IsDocuments)
        {
            // A folder docs/ gives docs.requests.jsonl beside it; a glob or a file, documents.requests.jsonl here.
            var folder = Path.TrimEndingDirectorySeparator(settings.Input);
            var requests = settings.Output ?? (Directory.Exists(folder) ? folder + ".requests.jsonl" : "documents.requests.jsonl");
            await DocumentRun.PrepareAsync(settings, settings.ToConversionOptions(), requests, null, requests, null, Console.Out, cancellationToken).ConfigureAwait(false);
            return CliApp.ExitSuccess;
        }

        var output = settings.Output ?? Path.ChangeExtension(settings.Input, ".requests.jsonl");
        var report = await BatchInputConverter.ConvertFileAsync(settings.Input, output, settings.ToConversionOptions(), cancellationToken).ConfigureAwait(false);
        Console.WriteLine(PreparePrinter.Describe(report));
        return CliApp.ExitSuccess;
    }
}

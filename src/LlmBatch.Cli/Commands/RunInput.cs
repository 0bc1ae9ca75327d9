using LlmBatch.Cli.Infrastructure;
using LlmBatch.Files;
using LlmBatch.Input;

namespace LlmBatch.Cli.Commands;

/// <summary>The input of <c>llmbatch run</c> when it is items (text, CSV, JSONL, documents) rather than request lines.</summary>
internal static class RunInput
{
    /// <summary>Turns text, CSV or JSONL items into the request file run sends, with their other columns beside it.</summary>
    public static async Task<string> PrepareAsync(RunSettings settings, CancellationToken cancellationToken)
    {
        var requests = settings.PreparedRequestsPath;
        if (FileIdentity.SameFile(requests, settings.Input))
        {
            throw new BatchOptionsException([$"The prepared requests would overwrite the input {settings.Input}: give another --output."]);
        }

        if (settings.IsDocuments)
        {
            var results = settings.Reduce is null ? settings.OutputPath : Documents.DocumentMapReduce.MapOutputPath(settings.OutputPath);
            var prepared = await DocumentRun.PrepareAsync(settings, settings.ToConversionOptions(), requests, results, settings.OutputPath, settings.ReportDir, settings.Quiet ? TextWriter.Null : Console.Error, cancellationToken).ConfigureAwait(false);
            return prepared.RequestsPath;
        }

        // Written again on every run: the same input and flags give the same lines, so a rerun resumes by custom_id.
        var report = await BatchInputConverter.ConvertFileAsync(settings.Input, requests, settings.ToConversionOptions(), cancellationToken).ConfigureAwait(false);
        if (!settings.Quiet)
        {
            Console.Error.WriteLine($"llmbatch: {PreparePrinter.Describe(report)}");
        }

        return requests;
    }
}

using System.ComponentModel;
using LlmBatch.BatchApi;
using LlmBatch.Cli.Progress;
using LlmBatch.Providers;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary>
/// <c>llmbatch batches list|cancel -o OUTPUT</c>: the Batch API batches a run started for an output (from its
/// <c>OUTPUT.batches.json</c>), as the provider sees them now; <c>cancel</c> cancels those still validating or running.
/// </summary>
internal sealed class BatchesCommand
{
    private readonly bool _cancel;

    public BatchesCommand(bool cancel) => _cancel = cancel;

    /// <summary>The options of <c>llmbatch batches list</c> and <c>cancel</c>.</summary>
    internal sealed class Settings : CommandSettings
    {
        [CommandOption("-o|--output <FILE>")]
        [Description("The output file of the run whose batches to show (its state is OUTPUT.batches.json).")]
        public string? Output { get; init; }

        [CommandOption("--base-url <URL>")]
        [Description("The provider (default: the one the run used, from the state file).")]
        public string? BaseUrl { get; init; }

        [CommandOption("--api-key-env <NAME>")]
        [Description("Environment variable holding the API key (default OPENAI_API_KEY, or AZURE_OPENAI_API_KEY for Azure hosts).")]
        public string? ApiKeyEnv { get; init; }

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Output) ? ValidationResult.Error("-o|--output: the output file of the run is required") : ValidationResult.Success();
    }

    public async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var output = settings.Output!;
        var statePath = BatchStateFile.PathFor(output);
        var state = await BatchStateFile.LoadAsync(statePath, cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            Console.Out.WriteLine($"No batches recorded for {output} (there is no {statePath}).");
            return CliApp.ExitSuccess;
        }

        var endpoint = ProviderEnvironment.Resolve(settings.BaseUrl ?? state.BaseUrl, settings.ApiKeyEnv);
        if (!endpoint.IsResolved)
        {
            throw new BatchOptionsException([endpoint.Problem!]);
        }

        using var job = new BatchApiJob(new BatchApiJobOptions { InputPath = state.Input, OutputPath = output, BaseUrl = endpoint.BaseUrl, ApiKey = endpoint.ApiKey });
        IReadOnlyList<BatchApiChunkProgress> chunks;
        try
        {
            chunks = _cancel ? await job.CancelAsync(cancellationToken).ConfigureAwait(false) : await job.ListAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (_cancel && ex.Message.Contains("another llmbatch run", StringComparison.Ordinal))
        {
            CliApp.Error($"a run is working on {output} right now and would submit cancelled items again: stop it first (Ctrl+C), then cancel.");
            return CliApp.ExitUsage;
        }

        // One line per batch file, as the progress shows them: readable at any width and easy to grep.
        Console.Out.WriteLine($"Batches of {output} on {state.BaseUrl}:");
        foreach (var c in chunks)
        {
            var merged = c.Phase == "done" ? " (merged into the output)" : "";
            var note = c.Note is { } n && c.Phase != "done" ? " · " + n : "";
            Console.Out.WriteLine($"  {BatchProgressText.Chunk(c)} · {c.Model}{merged}{note}");
        }

        if (_cancel)
        {
            Console.Out.WriteLine($"Cancel asked for every batch still validating or in progress. Their finished items stay on the provider: `llmbatch run ... -o {output} --mode batch` merges them and submits the rest again.");
        }

        return CliApp.ExitSuccess;
    }
}

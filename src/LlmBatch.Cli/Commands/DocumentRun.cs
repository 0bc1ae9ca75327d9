using System.Globalization;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Cost;
using LlmBatch.Documents;
using LlmBatch.Input;
using LlmBatch.LocalModel;
using LlmBatch.Output;
using LlmBatch.RateLimiting;
using LlmBatch.Results;

namespace LlmBatch.Cli.Commands;

/// <summary>
/// The document side of <c>run</c>, <c>prepare</c> and <c>classify</c>: which tokenizer and chunk limit a model gets,
/// preparing a folder of documents into requests with its manifest, and the skipped files in the summary.
/// </summary>
internal static class DocumentRun
{
    /// <summary>Chunks for an embeddings model that is neither ours nor OpenAI's, when no limit is given.</summary>
    internal const int FallbackEmbeddingTokens = 512;

    /// <summary>How many skipped files the summary names; the manifest has them all.</summary>
    private const int ListedSkips = 20;

    /// <summary>The tokenizer of a model: the embedded model's WordPiece, else OpenAI's by model family.</summary>
    internal static IChunkTokenizer TokenizerFor(string model) =>
        LocalModels.IsLocalModel(model) ? new LocalModelTokenizer() : new TiktokenChunkTokenizer(model);

    /// <summary>The chunking the options ask for, with the model's input limit as the default for embeddings.</summary>
    internal static ChunkingOptions ChunkingFor(InputSettings settings, BatchInputConversionOptions requests)
    {
        var max = settings.ChunkTokens;
        if (max is null && requests.Url.EndsWith(EndpointPaths.EmbeddingsRelative, StringComparison.Ordinal))
        {
            max = DefaultEmbeddingTokens(requests.Model);
        }

        return new ChunkingOptions { MaxTokens = max, OverlapTokens = settings.ChunkOverlap ?? 0, Tokenizer = TokenizerFor(requests.Model) };
    }

    /// <summary>An embeddings model's input limit: 254 word pieces for the embedded model, 8,191 tokens for OpenAI's.</summary>
    internal static int DefaultEmbeddingTokens(string model) =>
        LocalModels.IsLocalModel(model) ? LocalModels.MaxInputTokens - 2
        : model.StartsWith("text-embedding-", StringComparison.OrdinalIgnoreCase) ? 8191
        : FallbackEmbeddingTokens;

    /// <summary>
    /// Prepares the documents into <paramref name="requestsPath"/> and the manifest beside <paramref name="outputPath"/>;
    /// stale results (of changed or removed documents) are dropped from <paramref name="resultsPath"/>.
    /// </summary>
    internal static async Task<DocumentPrepareReport> PrepareAsync(
        InputSettings settings,
        BatchInputConversionOptions requests,
        string requestsPath,
        string? resultsPath,
        string outputPath,
        string? reportDirectory,
        TextWriter log,
        CancellationToken cancellationToken)
    {
        var chunking = ChunkingFor(settings, requests);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(requestsPath))!);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
        var options = new DocumentPrepareOptions
        {
            Requests = requests,
            Chunking = chunking,
            OutputPath = resultsPath,
            Exclude = OwnFiles(outputPath, requestsPath, reportDirectory),
        };
        var manifest = DocumentManifest.PathFor(outputPath);
        var report = await DocumentPreparer.PrepareAsync(settings.Input, requestsPath, manifest, options, cancellationToken).ConfigureAwait(false);
        var limit = chunking.MaxTokens is { } max
            ? string.Create(CultureInfo.InvariantCulture, $"chunks of at most {max} tokens ({Tokenizer(requests.Model)})")
            : "one request per document";
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"llmbatch: {report.Documents:N0} document(s), {report.Chunks:N0} request(s): {limit}; requests {report.RequestsPath}, manifest {report.ManifestPath}"));
        if (report.StaleResultsRemoved > 0)
        {
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"llmbatch: {report.StaleResultsRemoved:N0} earlier result(s) dropped: their document changed or is gone, so they are sent again"));
        }

        WriteSkipped(report.Skipped, report.SkippedCount, manifest, log);
        return report;
    }

    /// <summary>Names the skipped files and why, as part of the run's summary.</summary>
    internal static void WriteSkipped(IReadOnlyList<SkippedDocument> skipped, long count, string manifest, TextWriter log)
    {
        if (count == 0)
        {
            return;
        }

        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  skipped   {count:N0} file(s) that could not be read:"));
        foreach (var s in skipped.Take(ListedSkips))
        {
            log.WriteLine($"            {s.Path}: {s.Reason}");
        }

        if (count > ListedSkips)
        {
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"            and {count - ListedSkips:N0} more, listed in {manifest}"));
        }
    }

    /// <summary>The skipped files recorded in a run's manifest (for the report and the summary after the run).</summary>
    internal static async Task<List<SkippedDocument>> ReadSkippedAsync(string manifest, CancellationToken cancellationToken)
    {
        var skipped = new List<SkippedDocument>();
        if (!File.Exists(manifest))
        {
            return skipped;
        }

        await foreach (var entry in DocumentManifest.ReadAsync(manifest, includeText: false, cancellationToken).ConfigureAwait(false))
        {
            if (entry.SkipReason is { } reason)
            {
                skipped.Add(new SkippedDocument(entry.Path, reason));
            }
        }

        return skipped;
    }

    /// <summary>The skipped files as the report takes them.</summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> ForReport(IReadOnlyList<SkippedDocument> skipped) =>
        [.. skipped.Select(s => new KeyValuePair<string, string>(s.Path, s.Reason))];

    /// <summary>
    /// <c>run --reduce</c>: the map job, the reduce levels and the final file of one answer per document, each phase
    /// through <paramref name="runPhase"/> (progress and all); then the report over every phase, the summary and the
    /// exit code.
    /// </summary>
    internal static async Task<int> MapReduceAsync(
        RunSettings settings,
        BatchJobOptions job,
        Func<BatchJobOptions, CancellationToken, Task<BatchJobResult>> runPhase,
        PriceTable? prices,
        CancellationToken cancellationToken)
    {
        var reduce = settings.ToConversionOptions();
        reduce.Template = settings.Reduce!;
        var manifest = DocumentManifest.PathFor(settings.OutputPath);
        var options = new DocumentMapReduceOptions
        {
            ManifestPath = manifest,
            MapRequestsPath = job.InputPath,
            OutputPath = settings.OutputPath,
            Reduce = reduce,
            ReduceTokens = settings.ReduceTokens ?? settings.ChunkTokens!.Value,
            Tokenizer = TokenizerFor(reduce.Model),
            Job = job,
        };
        var log = settings.Quiet ? TextWriter.Null : Console.Error;
        var summary = settings.Quiet ? TextWriter.Null : Console.Out;
        var result = await DocumentMapReduce.RunAsync(options, async (phase, name, ct) =>
        {
            log.WriteLine($"llmbatch: {name}: {phase.InputPath} -> {phase.OutputPath}");
            var done = await runPhase(phase, ct).ConfigureAwait(false);
            summary.Write($"{name}: {Infrastructure.SummaryPrinter.Format(done, phase.OutputPath)}");
            return done;
        }, cancellationToken).ConfigureAwait(false);

        var skipped = await ReadSkippedAsync(manifest, CancellationToken.None).ConfigureAwait(false);
        if (!settings.NoReport)
        {
            var directory = settings.ReportDir ?? Path.GetDirectoryName(Path.GetFullPath(settings.OutputPath))!;
            var files = await Reporting.RunReport.WriteAsync(
                ReadAllAsync(result.PhaseOutputs, CancellationToken.None),
                directory,
                Path.GetFileName(settings.OutputPath),
                new Reporting.RunReportOptions { Prices = prices, SkippedInputs = ForReport(skipped) },
                CancellationToken.None).ConfigureAwait(false);
            log.WriteLine($"llmbatch: report {files.HtmlPath} (every phase), figures {files.SummaryJsonPath}");
        }

        if (result.Interrupted)
        {
            summary.WriteLine("Stopped before every phase finished; rerun the same command to resume.");
            return CliApp.ExitInterrupted;
        }

        summary.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Documents: {result.Documents:N0} answer(s), one per document, in {settings.OutputPath}; {result.FailedDocuments:N0} failed, {result.IncompleteDocuments:N0} made without some of their chunks (named under llmbatch.document.missing)"));
        WriteSkipped(skipped, skipped.Count, manifest, summary);
        var mergeFailed = 0L;
        if (settings.Merge)
        {
            var merged = await ResultsMerge.MergeAndPrintAsync(
                BatchOutputFile.ReadAsync(settings.OutputPath, CancellationToken.None),
                new BatchMergeOptions { OutputPrefix = ResultsMerge.DefaultPrefix(settings.OutputPath) },
                parquet: false,
                summary,
                CancellationToken.None).ConfigureAwait(false);
            mergeFailed = merged.Failed;
        }

        return result.FailedDocuments + result.IncompleteDocuments + mergeFailed > 0 ? CliApp.ExitItemsFailed : CliApp.ExitSuccess;
    }

    private static async IAsyncEnumerable<BatchResult> ReadAllAsync(IReadOnlyList<string> paths, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var path in paths.Where(File.Exists))
        {
            await foreach (var r in BatchOutputFile.ReadAsync(path, cancellationToken).ConfigureAwait(false))
            {
                yield return r;
            }
        }
    }

    private static string Tokenizer(string model) =>
        LocalModels.IsLocalModel(model) ? $"{LocalModels.EmbeddingModelId} word pieces" : TokenCounter.EncodingFor(model);

    // A run whose output lives inside the folder it reads must not read its own files back as documents.
    private static Func<string, bool> OwnFiles(string outputPath, string requestsPath, string? reportDirectory)
    {
        var output = Path.GetFullPath(outputPath);
        var ext = Path.GetExtension(output);
        var stem = (ext.Length > 0 ? output[..^ext.Length] : output) + ".";
        var requests = Path.GetFullPath(requestsPath);
        var reports = Path.GetFullPath(reportDirectory ?? Path.GetDirectoryName(output)!);
        var summary = Path.Combine(reports, Reporting.RunReport.SummaryFileName);
        var html = Path.Combine(reports, Reporting.RunReport.HtmlFileName);
        return path => path == output || path.StartsWith(stem, StringComparison.Ordinal) || path.StartsWith(requests, StringComparison.Ordinal)
            || path == summary || path == html;
    }
}

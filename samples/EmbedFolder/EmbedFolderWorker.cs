using System.Runtime.CompilerServices;
using LlmBatch.Typed;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmBatch.Samples.EmbedFolder;

/// <summary>
/// Embeds every matching document of a folder once: the runner's output file is the checkpoint, so a rerun (after a
/// crash, a Ctrl+C or new documents) sends only the documents that have no result yet. The vectors are in that file,
/// one Batch API output line per document, its <c>custom_id</c> the document's path relative to the folder.
/// </summary>
internal sealed partial class EmbedFolderWorker(
    TypedBatchRunner runner,
    IOptions<EmbedFolderOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<EmbedFolderWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var folder = Path.GetFullPath(options.Value.Folder);
        long alreadyDone = 0;
        runner.Options.Resumed = done => alreadyDone = done;
        int embedded = 0, failed = 0, dimensions = 0;
        using var progressLoop = new CancellationTokenSource();
        var progressLogger = LogProgressAsync(progressLoop.Token);
        try
        {
            // Ctrl+C stops the run as on the command line: nothing new is sent, what is on the wire may finish.
            await foreach (var result in runner.RunEmbeddingsAsync(Documents(folder, stoppingToken), stoppingToken).ConfigureAwait(false))
            {
                if (result.IsSuccess)
                {
                    embedded++;
                    dimensions = result.Value.Vector.Length;
                }
                else
                {
                    failed++;
                    LogFailed(logger, result.Id, result.Error.Code, result.Error.Message);
                }
            }

            var progress = runner.GetProgress();
            LogDone(logger, embedded, failed, alreadyDone, progress.Attempts, progress.Elapsed.TotalSeconds);

            // One plain line on stdout for scripts (and the sample's CI test).
            Console.WriteLine($"embedded {embedded}, failed {failed}, already done {alreadyDone}, dimensions {dimensions}, output {runner.Options.OutputPath}");
            Environment.ExitCode = failed > 0 ? 1 : 0;
        }
        catch (Exception ex) when (ex is BatchAuthenticationException or BatchEndpointUnreachableException or DirectoryNotFoundException)
        {
            LogStopped(logger, ex.Message);
            Environment.ExitCode = 2;
        }
        finally
        {
            await progressLoop.CancelAsync();
            await progressLogger;
            lifetime.StopApplication();
        }
    }

    // The engine's own progress, as the command line shows it, every few seconds of a long run.
    private async Task LogProgressAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var progress = runner.GetProgress();
                LogProgress(logger, progress.Completed, progress.Failed, progress.InFlight, progress.Attempts);
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    private IAsyncEnumerable<EmbeddingBatchItem> Documents(string folder, CancellationToken cancellationToken) =>
        Documents(folder, options.Value.Patterns is { Count: > 0 } patterns ? patterns : ["*.txt", "*.md"], cancellationToken);

    // Read lazily: the engine pulls documents only as fast as it can send them, so a huge folder is never all in memory.
    private static async IAsyncEnumerable<EmbeddingBatchItem> Documents(string folder, List<string> patterns, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var files = patterns
            .SelectMany(pattern => Directory.EnumerateFiles(folder, pattern, SearchOption.AllDirectories))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var text = await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrWhiteSpace(text))
            {
                yield return new EmbeddingBatchItem(Path.GetRelativePath(folder, file).Replace('\\', '/'), text);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Document} failed: {Code} {Message}")]
    private static partial void LogFailed(ILogger logger, string document, string code, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded {Embedded} documents ({Failed} failed, {AlreadyDone} already in the checkpoint) in {Attempts} attempts, {Seconds:0.0} s")]
    private static partial void LogDone(ILogger logger, int embedded, int failed, long alreadyDone, long attempts, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Completed} done, {Failed} failed, {InFlight} in flight, {Attempts} attempts")]
    private static partial void LogProgress(ILogger logger, long completed, long failed, int inFlight, long attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopped: {Reason}")]
    private static partial void LogStopped(ILogger logger, string reason);
}

using System.IO.Hashing;
using LlmBatch.Output;

namespace LlmBatch.Documents;

/// <summary>
/// Puts a freshly prepared request file in place of the last one and keeps the results file in step with it: the
/// result of a request whose line changed (an edited document, a new reduce input) or that is gone (a removed
/// document) is taken out of the results, so the next run sends the request again instead of keeping a stale answer.
/// Requests are compared by a 64-bit hash of their line, keyed by the hash of their custom_id: 16 bytes each.
/// </summary>
/// <remarks>
/// Crash-safe in either order of events: the results are filtered first (atomically), then the new request file is
/// moved in. A crash in between leaves the old request file, and the next run finds the same differences again.
/// </remarks>
internal static class RequestFileSync
{
    /// <summary>Moves <paramref name="newPath"/> over <paramref name="requestsPath"/>, first removing stale results from <paramref name="outputPath"/>.</summary>
    /// <returns>Results removed.</returns>
    public static async Task<long> ReplaceAsync(string newPath, string requestsPath, string? outputPath, CancellationToken cancellationToken)
    {
        long removed = 0;
        if (outputPath is not null && File.Exists(outputPath) && File.Exists(requestsPath))
        {
            var old = await HashLinesAsync(requestsPath, cancellationToken).ConfigureAwait(false);
            var stale = new HashSet<UInt128>();
            var current = await HashLinesAsync(newPath, cancellationToken).ConfigureAwait(false);
            foreach (var (id, hash) in old)
            {
                if (!current.TryGetValue(id, out var now) || now != hash)
                {
                    stale.Add(id);
                }
            }

            if (stale.Count > 0)
            {
                removed = await RemoveAsync(outputPath, stale, cancellationToken).ConfigureAwait(false);
            }
        }

        File.Move(newPath, requestsPath, overwrite: true);
        return removed;
    }

    /// <summary>Rewrites the results without the lines whose custom_id key is in <paramref name="ids"/>.</summary>
    /// <returns>Lines removed.</returns>
    internal static async Task<long> RemoveAsync(string outputPath, HashSet<UInt128> ids, CancellationToken cancellationToken)
    {
        using var fileLock = OutputFileLock.Acquire(outputPath);
        long removed = 0;
        await AtomicRewrite.RunAsync(outputPath, async (output, ct) =>
        {
            var input = new FileStream(outputPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            await using (input.ConfigureAwait(false))
            {
                using var reader = new JsonlLineReader(input, outputPath);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    if (reader.IsBlank)
                    {
                        continue;
                    }

                    // A torn last line is dropped like the checkpoint would; a kept line is copied as it was.
                    if (!OutputLineScanner.TryScan(reader.Line.Span, out var hash, out _))
                    {
                        continue;
                    }

                    if (ids.Contains(hash))
                    {
                        removed++;
                        continue;
                    }

                    await output.WriteAsync(reader.Line, ct).ConfigureAwait(false);
                    output.WriteByte((byte)'\n');
                }
            }
        }, cancellationToken).ConfigureAwait(false);
        return removed;
    }

    private static async Task<Dictionary<UInt128, ulong>> HashLinesAsync(string path, CancellationToken cancellationToken)
    {
        var hashes = new Dictionary<UInt128, ulong>();
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new JsonlLineReader(stream, path);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (OutputLineScanner.TryScan(reader.Line.Span, out var id, out _))
                {
                    hashes[id] = XxHash3.HashToUInt64(reader.Line.Span);
                }
            }
        }

        return hashes;
    }
}

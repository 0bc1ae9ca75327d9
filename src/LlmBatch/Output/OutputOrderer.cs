using System.Buffers;
using System.Collections;
using LlmBatch.Input;

namespace LlmBatch.Output;

/// <summary>
/// Rewrites an output file in input order (<c>--preserve-order</c>), after the run, so that the run itself can
/// append in completion order. Output lines are indexed as (hash, offset, length), 24 bytes each, and copied by
/// offset while the input is streamed; lines whose custom_id is not in the input go at the end in file order.
/// Lines are indexed by the 128-bit key of their custom_id, 32 bytes each with offset and length.
/// </summary>
internal static class OutputOrderer
{
    /// <summary>Rewrites <paramref name="outputPath"/> in the order of the custom_ids of <paramref name="inputPath"/>.</summary>
    /// <exception cref="BatchInputException">A complete line of the output is not a valid output line.</exception>
    /// <exception cref="IOException">Another run is writing the output, or a file cannot be read or written.</exception>
    public static async Task SortByInputAsync(string outputPath, string inputPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        ArgumentException.ThrowIfNullOrEmpty(inputPath);
        if (!File.Exists(outputPath))
        {
            return;
        }

        using var fileLock = OutputFileLock.Acquire(outputPath);
        var entries = await IndexAsync(outputPath, cancellationToken).ConfigureAwait(false);
        var byHash = entries.ToArray();
        Array.Sort(byHash, static (a, b) => a.Hash.CompareTo(b.Hash));
        var used = new BitArray(byHash.Length);

        using var source = File.OpenHandle(outputPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        var copyBuffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            await AtomicRewrite.RunAsync(outputPath, async (output, ct) =>
            {
                var input = new FileStream(inputPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
                await using (input.ConfigureAwait(false))
                {
                    using var reader = new JsonlLineReader(input, inputPath);
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        if (reader.Problem != JsonlLineProblem.None || !OutputLineScanner.TryScan(reader.Line.Span, out var hash, out _))
                        {
                            continue;
                        }

                        for (var i = FirstIndex(byHash, hash); i >= 0 && i < byHash.Length && byHash[i].Hash == hash; i++)
                        {
                            if (!used[i])
                            {
                                used[i] = true;
                                copyBuffer = Copy(source, byHash[i], copyBuffer, output);
                            }
                        }
                    }
                }

                // Whatever the input did not name keeps its place relative to the rest, at the end.
                var leftovers = new List<LineEntry>();
                for (var i = 0; i < byHash.Length; i++)
                {
                    if (!used[i])
                    {
                        leftovers.Add(byHash[i]);
                    }
                }

                leftovers.Sort(static (a, b) => a.Offset.CompareTo(b.Offset));
                foreach (var entry in leftovers)
                {
                    copyBuffer = Copy(source, entry, copyBuffer, output);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copyBuffer);
        }
    }

    private static async Task<List<LineEntry>> IndexAsync(string outputPath, CancellationToken cancellationToken)
    {
        var entries = new List<LineEntry>();
        var stream = new FileStream(outputPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new JsonlLineReader(stream, outputPath);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.IsBlank)
                {
                    continue;
                }

                var hash = UInt128.Zero;
                if (reader.Problem != JsonlLineProblem.None || !OutputLineScanner.TryScan(reader.Line.Span, out hash, out _))
                {
                    // A torn last line (no line end) is dropped; a complete line that is wrong is an error.
                    if (reader.Terminated)
                    {
                        reader.ThrowIfProblem();
                        throw new BatchInputException(BatchOutputFile.InvalidLine(outputPath, reader.LineNumber));
                    }

                    break;
                }

                // The content without BOM or line end; the copy adds a single \n.
                entries.Add(new LineEntry(hash, reader.ContentOffset, reader.Line.Length));
            }
        }

        return entries;
    }

    private static int FirstIndex(LineEntry[] sorted, UInt128 hash)
    {
        int lo = 0, hi = sorted.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var h = sorted[mid].Hash;
            if (h < hash)
            {
                lo = mid + 1;
            }
            else
            {
                if (h == hash)
                {
                    found = mid;
                }

                hi = mid - 1;
            }
        }

        return found;
    }

    private static byte[] Copy(Microsoft.Win32.SafeHandles.SafeFileHandle source, LineEntry entry, byte[] buffer, Stream output)
    {
        if (buffer.Length < entry.Length + 1)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(entry.Length + 1);
        }

        var span = buffer.AsSpan(0, entry.Length);
        var done = 0;
        while (done < span.Length)
        {
            var n = RandomAccess.Read(source, span[done..], entry.Offset + done);
            if (n == 0)
            {
                throw new IOException("The output file changed while it was being reordered.");
            }

            done += n;
        }

        buffer[entry.Length] = (byte)'\n';
        output.Write(buffer, 0, entry.Length + 1);
        return buffer;
    }

    private readonly record struct LineEntry(UInt128 Hash, long Offset, int Length);
}

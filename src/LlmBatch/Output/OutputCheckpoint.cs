using LlmBatch.Input;

namespace LlmBatch.Output;

/// <summary>
/// What an existing output file says is already done, so a rerun of the same command continues where the last
/// one stopped. Opening repairs the file first: a torn last line (a crash mid-write: no line end, not a valid
/// line) is cut away, while any complete line that is not valid is reported, never cut; duplicate
/// lines for one custom_id (from an older tool) are reduced to one, keeping a success, and with
/// <c>retryFailed</c> the failure lines are removed so those items are sent again. Rewrites go through a temp
/// file in the same directory and an atomic rename, so a crash during repair leaves either file, never half.
/// Only 128-bit keys of custom_ids are kept, not strings (see <see cref="CustomIdHash.Key(string)"/>).
/// </summary>
internal sealed class OutputCheckpoint
{
    private readonly CustomIdSet _succeeded;
    private readonly CustomIdSet _failed;

    private OutputCheckpoint(CustomIdSet succeeded, CustomIdSet failed)
    {
        _succeeded = succeeded;
        _failed = failed;
    }

    /// <summary>custom_ids with a success line.</summary>
    public long Succeeded => _succeeded.Count;

    /// <summary>custom_ids with only a failure line (0 after <c>retryFailed</c>, which removed them).</summary>
    public long Failed => _failed.Count;

    /// <summary>Bytes of a torn last line that were cut away.</summary>
    public long RepairedBytes { get; private init; }

    /// <summary>True when the last line was complete but lacked its <c>\n</c>, which was added.</summary>
    public bool AddedMissingNewline { get; private init; }

    /// <summary>Failure lines removed because of <c>retryFailed</c>.</summary>
    public long RemovedFailures { get; private init; }

    /// <summary>Extra lines for a custom_id that already had one, removed (a success is always the line kept).</summary>
    public long RemovedDuplicates { get; private init; }

    /// <summary>Items with a final line: they are not sent again.</summary>
    public long Done => Succeeded + Failed;

    /// <summary>
    /// Reads (and if needed repairs) <paramref name="outputPath"/>. A missing file is an empty checkpoint.
    /// </summary>
    /// <param name="outputPath">The output file of the run.</param>
    /// <param name="retryFailed">Remove failure lines so that those items count as not done.</param>
    /// <param name="cancellationToken">Stops the scan; a rewrite already begun still completes or leaves the old file.</param>
    /// <exception cref="BatchInputException">A complete line is not a valid output line (names file and line).</exception>
    /// <exception cref="IOException">Another run is writing the file, or it cannot be read or repaired.</exception>
    public static async Task<OutputCheckpoint> OpenAsync(string outputPath, bool retryFailed, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        if (!File.Exists(outputPath))
        {
            return new OutputCheckpoint(new CustomIdSet(), new CustomIdSet());
        }

        using var fileLock = OutputFileLock.Acquire(outputPath);
        var succeeded = new CustomIdSet();
        var failed = new CustomIdSet();
        long lines = 0;
        long failureLines = 0;
        long cutAt = -1;
        long fileLength;
        var missingNewline = false;
        var stream = new FileStream(outputPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        await using (stream.ConfigureAwait(false))
        {
            fileLength = stream.Length;
            using var reader = new JsonlLineReader(stream, outputPath);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.IsBlank)
                {
                    continue;
                }

                var hash = UInt128.Zero;
                var success = false;
                if (reader.Problem != JsonlLineProblem.None || !OutputLineScanner.TryScan(reader.Line.Span, out hash, out success))
                {
                    // Only a last line without its line end is what a crash mid-write leaves; a complete line that is
                    // wrong was written that way (or edited), and cutting it would lose a result.
                    if (reader.Terminated)
                    {
                        reader.ThrowIfProblem();
                        throw new BatchInputException(BatchOutputFile.InvalidLine(outputPath, reader.LineNumber));
                    }

                    cutAt = reader.LineOffset;
                    break;
                }

                missingNewline = !reader.Terminated;
                lines++;
                if (success)
                {
                    succeeded.Add(hash);
                }
                else
                {
                    failureLines++;
                    failed.Add(hash);
                }
            }
        }

        long repaired = 0;
        if (cutAt >= 0 || missingNewline)
        {
            var fix = new FileStream(outputPath, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0);
            await using (fix.ConfigureAwait(false))
            {
                if (cutAt >= 0)
                {
                    fix.SetLength(cutAt);
                    repaired = fileLength - cutAt;
                }
                else
                {
                    fix.Seek(0, SeekOrigin.End);
                    fix.Write("\n"u8);
                }

                fix.Flush(flushToDisk: true);
            }
        }

        // An id with a success line counts as succeeded however many failure lines it also has.
        var onlyFailed = new CustomIdSet();
        foreach (var hash in failed)
        {
            if (!succeeded.Contains(hash))
            {
                onlyFailed.Add(hash);
            }
        }

        var kept = succeeded.Count + (retryFailed ? 0 : onlyFailed.Count);
        var removedFailures = retryFailed ? failureLines : 0;
        var removedDuplicates = lines - kept - removedFailures;
        if (kept != lines)
        {
            await RewriteAsync(outputPath, succeeded, retryFailed, cancellationToken).ConfigureAwait(false);
        }

        if (retryFailed)
        {
            onlyFailed = new CustomIdSet();
        }

        return new OutputCheckpoint(succeeded, onlyFailed)
        {
            RepairedBytes = repaired,
            AddedMissingNewline = missingNewline && cutAt < 0,
            RemovedFailures = removedFailures,
            RemovedDuplicates = removedDuplicates,
        };
    }

    /// <summary>True when <paramref name="customId"/> already has a final line and must not be sent again.</summary>
    public bool IsDone(string customId) => Done > 0 && IsDone(CustomIdHash.Key(customId));

    /// <summary>True when the custom_id with this <see cref="CustomIdHash.Key(string)"/> already has a final line.</summary>
    public bool IsDone(UInt128 customIdKey) => _succeeded.Contains(customIdKey) || _failed.Contains(customIdKey);

    private static async Task RewriteAsync(string path, CustomIdSet succeeded, bool dropFailures, CancellationToken cancellationToken)
    {
        var written = new CustomIdSet(checked((int)Math.Min(int.MaxValue / 2, succeeded.Count)));
        await AtomicRewrite.RunAsync(path, async (output, ct) =>
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            await using (stream.ConfigureAwait(false))
            {
                using var reader = new JsonlLineReader(stream, path);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    if (reader.Problem != JsonlLineProblem.None || !OutputLineScanner.TryScan(reader.Line.Span, out var hash, out var success))
                    {
                        continue;
                    }

                    // Keep the first success of an id; a failure only when the id has no success anywhere.
                    var keep = success
                        ? written.Add(hash)
                        : !dropFailures && !succeeded.Contains(hash) && written.Add(hash);
                    if (keep)
                    {
                        output.Write(reader.Line.Span);
                        output.WriteByte((byte)'\n');
                    }
                }
            }
        }, cancellationToken).ConfigureAwait(false);
    }
}

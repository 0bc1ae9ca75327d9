using System.Runtime.CompilerServices;
using LlmBatch.Input;

namespace LlmBatch.Output;

/// <summary>
/// Reads an output file back: LlmBatch's own output or the provider's Batch API output (docs/formats.md).
/// </summary>
public static class BatchOutputFile
{
    /// <summary>
    /// Streams the results of an output file in file order, one per line.
    /// <see cref="BatchResult.Stats"/> and <see cref="BatchResult.LineNumber"/> come from the <c>llmbatch</c> key
    /// when the line has it and are left at their defaults otherwise (a provider's file).
    /// The file may be read while a run is still appending to it.
    /// </summary>
    /// <param name="path">The output file (JSON Lines).</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The results, one per non-blank line. An unfinished last line (no line end: left by a crash or a run
    /// still writing) is skipped, not reported.</returns>
    /// <exception cref="BatchInputException">A complete line is not a valid output line; the error names the file and line.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IAsyncEnumerable<BatchResult> ReadAsync(string path, CancellationToken cancellationToken = default) =>
        ReadAsync(path, withBodies: true, cancellationToken);

    /// <summary>
    /// As <see cref="ReadAsync(string, CancellationToken)"/>; without <paramref name="withBodies"/> every
    /// <see cref="BatchResult.ResponseBody"/> is left empty, for readers that need only statuses, errors and facts
    /// (the report): no copy of each answer.
    /// </summary>
    internal static IAsyncEnumerable<BatchResult> ReadAsync(string path, bool withBodies, CancellationToken cancellationToken = default) =>
        ReadAsync(path, withBodies, long.MaxValue, cancellationToken);

    /// <summary>
    /// As above, only the lines that start before the byte offset <paramref name="endOffset"/>: those an earlier run
    /// left, when the caller saw this run's own results as they were written.
    /// </summary>
    internal static async IAsyncEnumerable<BatchResult> ReadAsync(string path, bool withBodies, long endOffset, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new JsonlLineReader(stream, path);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.LineOffset >= endOffset)
                {
                    yield break;
                }

                if (reader.IsBlank)
                {
                    continue;
                }

                string field = "", problem = "";
                var result = reader.Problem == JsonlLineProblem.None ? OutputLineParser.Parse(reader.Line.Span, withBodies, out field, out problem) : null;
                if (result is null)
                {
                    // Only a last line without its line end is a torn write (or one still being written).
                    if (!reader.Terminated)
                    {
                        yield break;
                    }

                    reader.ThrowIfProblem();
                    throw new BatchInputException(new BatchInputError(path, reader.LineNumber, field, problem));
                }

                yield return result;
            }
        }
    }

    /// <summary>The error for a complete line that is not a valid output line.</summary>
    internal static BatchInputError InvalidLine(string path, long line) =>
        new(path, line, "", "not a valid output line; fix or remove it, then run again");

    internal static bool IsBlank(ReadOnlySpan<byte> line) => JsonlLineReader.IsBlankSpan(line);
}

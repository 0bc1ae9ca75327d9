using System.Runtime.CompilerServices;
using LlmBatch.Output;

namespace LlmBatch.Input;

/// <summary>
/// Reads and checks OpenAI Batch API input files (JSONL: one <c>{"custom_id","method","url","body"}</c> object per line).
/// Files are streamed: memory depends on the longest line, not on the number of lines (the uniqueness check keeps
/// 8 bytes per custom_id). UTF-8 with or without a BOM, <c>\n</c> or <c>\r\n</c> line ends; blank lines are skipped.
/// </summary>
public static class BatchInputFile
{
    /// <summary>
    /// Reads the requests of a file for a run. The whole file is checked first, so no request is yielded from a
    /// file with a bad line: enumeration then throws a <see cref="BatchInputException"/> listing every problem (up to 100).
    /// Each request owns its body bytes and stays valid after enumeration moves on.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The requests in file order.</returns>
    /// <exception cref="BatchInputException">The file is missing, unreadable, empty or has an invalid line.</exception>
    public static IAsyncEnumerable<BatchRequest> ReadAsync(string path, CancellationToken cancellationToken = default)
        => ReadAsync(path, options: null, cancellationToken);

    /// <summary>
    /// Reads the requests of a file for a run, with the given line cap and error cap; see
    /// <see cref="ReadAsync(string, CancellationToken)"/>. Tokens are not counted.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="options">The caps, or null for the defaults.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The requests in file order.</returns>
    /// <exception cref="BatchInputException">The file is missing, unreadable, empty or has an invalid line.</exception>
    /// <exception cref="BatchOptionsException">The options are out of range.</exception>
    public static IAsyncEnumerable<BatchRequest> ReadAsync(string path, BatchValidationOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var checkOptions = CheckOnly(options);
        return ReadCheckedAsync(path, checkOptions, cancellationToken);
    }

    /// <summary>
    /// Reads the requests of a stream, for example standard input. A seekable stream is checked whole first, as a
    /// file is; a stream that can be read only once is checked as it is read, so requests before a bad line may
    /// already have been yielded when the <see cref="BatchInputException"/> comes. The stream is left open.
    /// </summary>
    /// <param name="stream">The input, read from its current position.</param>
    /// <param name="displayName">The name used in errors, for example <c>-</c> for standard input.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The requests in input order.</returns>
    /// <exception cref="BatchInputException">The input is empty or has an invalid line.</exception>
    public static IAsyncEnumerable<BatchRequest> ReadAsync(Stream stream, string displayName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        return ReadStreamAsync(stream, displayName, CheckOnly(null), cancellationToken);
    }

    /// <summary>
    /// Checks a whole file without sending anything: every line's JSON, custom_id (present and unique), method, url
    /// and body, and sums what it would cost. A missing, unreadable or empty file is reported, not thrown.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Caps and token counting, or null for the defaults.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    /// <returns>The report; <see cref="BatchValidationReport.IsValid"/> says whether the file can be run.</returns>
    /// <exception cref="BatchOptionsException">The options are out of range.</exception>
    public static Task<BatchValidationReport> ValidateAsync(string path, BatchValidationOptions? options = null, CancellationToken cancellationToken = default)
        => ValidateAsync(path, options, sink: null, cancellationToken);

    /// <summary>
    /// Checks a whole file as <see cref="ValidateAsync(string, BatchValidationOptions?, CancellationToken)"/> does, and
    /// shows each good request to <paramref name="sink"/> in the same pass (a run's dedupe index), so the file is read once for both.
    /// </summary>
    internal static Task<BatchValidationReport> ValidateAsync(string path, BatchValidationOptions? options, IRequestSink? sink, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new BatchValidationOptions();
        options.Validate();
        var maxLineBytes = options.MaxLineBytes;
        return BatchFileValidator.ValidateAsync(() => JsonlLineReader.Open(path, maxLineBytes), canReopen: true, path, options, sink, LengthOf(path), cancellationToken);
    }

    /// <summary>
    /// Checks a stream as <see cref="ValidateAsync(string, BatchValidationOptions?, CancellationToken)"/> checks a file.
    /// When the stream cannot seek, a duplicate custom_id is reported without the line of its first use. The stream is left open.
    /// </summary>
    /// <param name="stream">The input, read from its current position.</param>
    /// <param name="displayName">The name used in errors.</param>
    /// <param name="options">Caps and token counting, or null for the defaults.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    /// <returns>The report.</returns>
    /// <exception cref="BatchOptionsException">The options are out of range.</exception>
    public static Task<BatchValidationReport> ValidateAsync(Stream stream, string displayName, BatchValidationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        options ??= new BatchValidationOptions();
        options.Validate();
        var maxLineBytes = options.MaxLineBytes;
        var origin = stream.CanSeek ? stream.Position : 0;
        return BatchFileValidator.ValidateAsync(
            () =>
            {
                if (stream.CanSeek)
                {
                    stream.Position = origin;
                }

                return new JsonlLineReader(stream, displayName, maxLineBytes);
            },
            stream.CanSeek,
            displayName,
            options,
            sink: null,
            stream.CanSeek ? stream.Length - origin : 0,
            cancellationToken);
    }

    /// <summary>
    /// Reads the requests of a file that has already been validated (for example by a caller that wanted the
    /// report's totals first), without a second checking pass. Stops at the first bad line with a
    /// <see cref="BatchInputException"/>; duplicates are not checked again.
    /// </summary>
    /// <remarks>The reader's own iterator, not a second one around it: one async state machine less per item, and
    /// fewer methods compiled at start-up. The file is opened on the first <c>MoveNextAsync</c>.</remarks>
    internal static IAsyncEnumerable<BatchRequest> ReadValidatedAsync(string path, int maxLineBytes = BatchValidationOptions.DefaultMaxLineBytes, CancellationToken cancellationToken = default) =>
        BatchRequestReader.ReadAsync(() => JsonlLineReader.Open(path, maxLineBytes), checkedBefore: true, cancellationToken);

    /// <summary>The file's length, or 0 when it cannot be known now (the check itself then reports why it cannot be read).</summary>
    private static long LengthOf(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return 0;
        }
    }

    private static BatchValidationOptions CheckOnly(BatchValidationOptions? options)
    {
        var check = new BatchValidationOptions
        {
            MaxErrors = options?.MaxErrors ?? 100,
            MaxLineBytes = options?.MaxLineBytes ?? BatchValidationOptions.DefaultMaxLineBytes,
            DefaultMaxOutputTokens = options?.DefaultMaxOutputTokens ?? 256,

            // A run needs the verdict, not the token totals: counting is most of a check's cost.
            CountTokens = false,
        };
        check.Validate();
        return check;
    }

    private static async IAsyncEnumerable<BatchRequest> ReadCheckedAsync(string path, BatchValidationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var report = await BatchFileValidator.ValidateAsync(() => JsonlLineReader.Open(path, options.MaxLineBytes), canReopen: true, path, options, sink: null, LengthOf(path), cancellationToken).ConfigureAwait(false);
        report.ThrowIfInvalid();
        var requests = BatchRequestReader.ReadAsync(() => JsonlLineReader.Open(path, options.MaxLineBytes), checkedBefore: true, cancellationToken);
        await foreach (var request in requests.ConfigureAwait(false))
        {
            yield return request;
        }
    }

    private static async IAsyncEnumerable<BatchRequest> ReadStreamAsync(Stream stream, string displayName, BatchValidationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var checkedBefore = false;
        if (stream.CanSeek)
        {
            var origin = stream.Position;
            var report = await ValidateAsync(stream, displayName, options, cancellationToken).ConfigureAwait(false);
            report.ThrowIfInvalid();
            stream.Position = origin;
            checkedBefore = true;
        }

        var requests = BatchRequestReader.ReadAsync(() => new JsonlLineReader(stream, displayName, options.MaxLineBytes), checkedBefore, cancellationToken);
        await foreach (var request in requests.ConfigureAwait(false))
        {
            yield return request;
        }
    }
}

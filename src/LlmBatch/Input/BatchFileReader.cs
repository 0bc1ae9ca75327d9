using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using LlmBatch.Output;
using LlmBatch.RateLimiting;

namespace LlmBatch.Input;

/// <summary>
/// Streams the lines of a Batch API input file through one pooled buffer that grows only up to the line cap, so
/// memory does not grow with the file. Tracks 1-based line numbers and turns every way a file can be wrong
/// (oversize line, invalid UTF-8, truncated last line, a file that is not JSONL at all) into a <see cref="BatchInputError"/>.
/// Used two ways: <see cref="ValidateAsync"/> collects every problem; <see cref="ReadRequestsAsync"/> yields requests
/// for a run and stops at the first problem with a <see cref="BatchInputException"/>.
/// </summary>
internal sealed class BatchFileReader : IAsyncDisposable
{
    private const int InitialBufferSize = 64 * 1024;

    private const string Example =
        "{\"custom_id\":\"req-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}}";

    private const string ExpectedJsonl = "expected JSONL: one request object per line, for example " + Example;

    private static readonly string[] CanonicalUrls = ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses"];

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private int _scanFrom;
    private bool _eof;
    private bool _skipping;
    private long _skipped;

    public BatchFileReader(Stream stream, string displayName, int maxLineBytes, bool ownsStream)
    {
        _stream = stream;
        _ownsStream = ownsStream;
        _maxLineBytes = maxLineBytes;
        Path = displayName;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferSize, maxLineBytes + 2));
    }

    /// <summary>The file name used in errors.</summary>
    public string Path { get; }

    /// <summary>The 1-based number of the current line.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The current line without its line end; valid only until the next <see cref="ReadLineAsync"/>. Empty when oversize.</summary>
    public ReadOnlyMemory<byte> Line { get; private set; }

    /// <summary>The current line's length in bytes, line end excluded (known even when the line was too long to keep).</summary>
    public long LineLength { get; private set; }

    /// <summary>Whether the current line exceeded the cap; its bytes were skipped, not kept.</summary>
    public bool IsOversize { get; private set; }

    /// <summary>Whether the current line ended with a line feed (false only for a last line with no line end).</summary>
    public bool HasLineEnd { get; private set; }

    /// <summary>Opens a file for reading, turning the ways opening fails into an input error that names the file.</summary>
    public static BatchFileReader Open(string path, int maxLineBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw FileError(path, "is a directory, not a file; give the path of a .jsonl file");
        }

        FileStream stream;
        try
        {
            // bufferSize 0: this reader does its own buffering in large chunks.
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            throw FileError(path, "no such file");
        }
        catch (DirectoryNotFoundException)
        {
            throw FileError(path, "no such file (its folder does not exist)");
        }
        catch (UnauthorizedAccessException)
        {
            throw FileError(path, "cannot be read: permission denied");
        }
        catch (IOException ex)
        {
            throw FileError(path, "cannot be read: " + ex.Message);
        }

        return new BatchFileReader(stream, path, maxLineBytes, ownsStream: true);
    }

    /// <summary>Checks a whole input, collecting every problem up to the cap.</summary>
    /// <param name="open">Opens the input from its start; called again for a second pass when duplicates need their first line.</param>
    /// <param name="canReopen">Whether <paramref name="open"/> may be called a second time.</param>
    /// <param name="path">The name used in errors.</param>
    /// <param name="options">Validated options.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    public static async Task<BatchValidationReport> ValidateAsync(
        Func<BatchFileReader> open,
        bool canReopen,
        string path,
        BatchValidationOptions options,
        CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var started = time.GetTimestamp();
        var state = new ValidationState(options);
        try
        {
            await state.ScanAsync(open(), cancellationToken).ConfigureAwait(false);
            if (state.Duplicates is { Count: > 0 })
            {
                await state.ResolveDuplicatesAsync(canReopen ? open : null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (BatchInputException ex)
        {
            // The file could not be opened or read: that is the report.
            foreach (var e in ex.Errors)
            {
                state.AddError(e);
            }
        }

        if (state.Requests == 0 && state.TotalErrors == 0)
        {
            state.AddError(new BatchInputError(path, 0, "", "the file holds no requests (it is empty or has only blank lines)"));
        }

        return new BatchValidationReport(
            path,
            state.Lines,
            state.Requests,
            state.BlankLines,
            state.ByEndpoint,
            state.ByModel,
            state.PromptTokens,
            state.CompletionTokens,
            state.Errors,
            state.TotalErrors,
            time.GetElapsedTime(started));
    }

    /// <summary>
    /// Yields the requests of an input for a run, each owning its body bytes; throws at the first problem.
    /// With <paramref name="checkDuplicates"/> each custom_id is checked against the earlier ones (needed when the
    /// input was not validated first, for example a stream that cannot be read twice).
    /// </summary>
    public static async IAsyncEnumerable<BatchRequest> ReadRequestsAsync(
        BatchFileReader reader,
        bool checkDuplicates,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using (reader.ConfigureAwait(false))
        {
            var errors = new List<BatchInputError>(4);
            var ids = checkDuplicates ? new CustomIdSet() : null;
            var firstContentLine = true;
            long requests = 0;
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false))
            {
                var request = reader.CheckLine(errors, copyBody: true, firstContentLine, out var blank, out _);
                if (blank)
                {
                    continue;
                }

                firstContentLine = false;
                if (request is null)
                {
                    throw new BatchInputException(errors.ToArray());
                }

                if (ids is not null && !ids.Add(CustomIdHash.Key(request.CustomId)))
                {
                    throw new BatchInputException(new BatchInputError(reader.Path, reader.LineNumber, "custom_id", $"\"{request.CustomId}\" is already used on an earlier line; every custom_id must be unique"));
                }

                requests++;
                yield return request;
            }

            if (requests == 0)
            {
                throw FileError(reader.Path, "the file holds no requests (it is empty or has only blank lines)");
            }
        }
    }

    /// <summary>Advances to the next line; false at the end of the input.</summary>
    /// <exception cref="BatchInputException">The input could not be read.</exception>
    public async ValueTask<bool> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var found = _buffer.AsSpan(_scanFrom, _end - _scanFrom).IndexOf((byte)'\n');
            if (found >= 0)
            {
                var newline = _scanFrom + found;
                SetLine(newline, hasLineEnd: true);
                _start = _scanFrom = newline + 1;
                return true;
            }

            _scanFrom = _end;
            if (_eof)
            {
                if (_start == _end && !_skipping)
                {
                    Line = default;
                    return false;
                }

                SetLine(_end, hasLineEnd: false);
                _start = _scanFrom = _end;
                return true;
            }

            var pending = _end - _start;
            if (_skipping || pending > _maxLineBytes + 1)
            {
                // Too long to keep (a CR may still follow the cap): count its bytes and let them go.
                _skipping = true;
                _skipped += pending;
                _start = _end = _scanFrom = 0;
            }
            else if (_start > 0)
            {
                _buffer.AsSpan(_start, pending).CopyTo(_buffer);
                _start = 0;
                _end = _scanFrom = pending;
            }

            if (_end == _buffer.Length)
            {
                Grow();
            }

            int read;
            try
            {
                read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new BatchInputException(new BatchInputError(Path, LineNumber + 1, "", "the file could not be read: " + ex.Message));
            }
            catch (UnauthorizedAccessException)
            {
                throw FileError(Path, "cannot be read: permission denied");
            }

            if (read == 0)
            {
                _eof = true;
            }
            else
            {
                _end += read;
            }
        }
    }

    /// <summary>
    /// Checks the current line: blank, oversize, invalid UTF-8, then every field through <see cref="BatchLineParser"/>.
    /// Returns the request, or null with the line's problems added to <paramref name="errors"/> (cleared first).
    /// <paramref name="notJsonl"/> is set when the first line shows the file is not JSONL at all, so later lines need no listing.
    /// </summary>
    public BatchRequest? CheckLine(List<BatchInputError> errors, bool copyBody, bool firstContentLine, out bool blank, out bool notJsonl)
    {
        errors.Clear();
        blank = false;
        notJsonl = false;
        if (IsOversize)
        {
            errors.Add(new BatchInputError(Path, LineNumber, "", $"the line is {FormatSize(LineLength)}, more than the limit of {FormatSize(_maxLineBytes)} per line (raise MaxLineBytes / --max-line-bytes if it is meant to be this long)"));
            return null;
        }

        var line = Line;

        // A BOM is accepted at the start of the file and, for files made by concatenation, at the start of any line.
        if (line.Span.StartsWith("\uFEFF"u8))
        {
            line = line[3..];
        }

        var span = line.Span;
        if (span.IndexOfAnyExcept(" \t\r"u8) < 0)
        {
            blank = true;
            return null;
        }

        if (firstContentLine && span is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..])
        {
            notJsonl = true;
            errors.Add(new BatchInputError(Path, LineNumber, "", "the file is encoded as UTF-16; save it as UTF-8"));
            return null;
        }

        if (!Utf8.IsValid(span))
        {
            var at = FirstInvalidUtf8(span);
            errors.Add(new BatchInputError(Path, LineNumber, "", $"is not valid UTF-8 (byte 0x{span[at]:X2} at position {at + 1} of the line); save the file as UTF-8"));
            return null;
        }

        var request = BatchLineParser.ParseLine(line, Path, LineNumber, errors, copyBody);
        if (request is not null)
        {
            return request;
        }

        // Some failures come from the file's shape rather than from this one line: say so instead of quoting the JSON parser.
        string? explanation = null;
        if (!HasLineEnd && BatchLineParser.IsIncompleteJson(span))
        {
            explanation = "the last line stops in the middle of a JSON object and has no line end: the file looks truncated (cut off while being written or copied?)";
        }
        else if (firstContentLine && DescribeNotJsonl(span) is { } shape)
        {
            notJsonl = true;
            explanation = NotJsonlMessage(shape);
        }
        else if (BatchLineParser.IsIncompleteJson(span))
        {
            explanation = "the JSON object is not closed on this line; each request must be one complete JSON object on a single line";
        }

        if (explanation is not null)
        {
            errors.Clear();
            errors.Add(new BatchInputError(Path, LineNumber, "", explanation));
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (_ownsStream)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The hash kept per custom_id for the uniqueness check; hashing the UTF-16 form avoids transcoding.</summary>

    private static BatchInputException FileError(string path, string message) => new(new BatchInputError(path, 0, "", message));

    // Shapes that are certain from the first line alone: no JSONL line can start with "[" or be a lone open object.
    private static string? DescribeNotJsonl(ReadOnlySpan<byte> line)
    {
        var trimmed = line.TrimStart(" \t\r"u8);
        if (trimmed[0] == (byte)'[')
        {
            return "a JSON array (it starts with \"[\")";
        }

        return trimmed[0] == (byte)'{' && BatchLineParser.IsIncompleteJson(trimmed)
            ? "a pretty-printed JSON document (one object spread over several lines)"
            : null;
    }

    /// <summary>
    /// What a first line that is not JSON at all suggests the file is (CSV, plain text, binary), or null when it
    /// starts like JSON. Only a guess: the caller trusts it when the next line fails too, since one stray header
    /// line in a JSONL file deserves its own plain error instead.
    /// </summary>
    internal static string? GuessNonJsonShape(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith("\uFEFF"u8))
        {
            line = line[3..];
        }

        var trimmed = line.TrimStart(" \t\r"u8);
        if (trimmed.IsEmpty || trimmed[0] is (byte)'{' or (byte)'[')
        {
            return null;
        }

        if (!Utf8.IsValid(trimmed))
        {
            return "a binary file, not UTF-8 text (compressed, perhaps?)";
        }

        return trimmed.IndexOfAny(",;\t"u8) >= 0 ? "CSV or TSV (its lines do not start with \"{\")" : "plain text (its lines do not start with \"{\")";
    }

    internal static string NotJsonlMessage(string shape) => $"the file is not JSONL: it looks like {shape}; {ExpectedJsonl}";

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> span)
    {
        var i = 0;
        while (i < span.Length)
        {
            if (Rune.DecodeFromUtf8(span[i..], out _, out var consumed) != OperationStatus.Done)
            {
                return i;
            }

            i += consumed;
        }

        return 0;
    }

    private static string FormatSize(long bytes) => bytes >= 1024 * 1024
        ? $"{bytes / (1024.0 * 1024.0):0.0} MiB ({bytes:N0} bytes)"
        : $"{bytes:N0} bytes";

    private static string CanonicalUrl(BatchEndpointKind kind) => CanonicalUrls[(int)kind];

    private void SetLine(int lineEnd, bool hasLineEnd)
    {
        LineNumber++;
        HasLineEnd = hasLineEnd;
        var length = lineEnd - _start;
        if (_skipping)
        {
            LineLength = _skipped + length;
            _skipping = false;
            _skipped = 0;
        }
        else
        {
            LineLength = length;
        }

        if (LineLength > 0 && hasLineEnd && length > 0 && _buffer[lineEnd - 1] == (byte)'\r')
        {
            LineLength--;
            length--;
        }

        IsOversize = LineLength > _maxLineBytes;
        Line = IsOversize ? default : _buffer.AsMemory(_start, length);
    }

    private void Grow()
    {
        // Capacity beyond the cap plus CR LF is never needed: a longer line is skipped, not kept.
        var size = (int)Math.Min((long)_buffer.Length * 2, (long)_maxLineBytes + 2);
        if (size <= _buffer.Length)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _end).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    /// <summary>The running totals of one validation.</summary>
    private sealed class ValidationState(BatchValidationOptions options)
    {
        private readonly CustomIdSet _ids = new();
        private readonly List<BatchInputError> _lineErrors = new(4);
        private readonly Dictionary<string, long> _byEndpoint = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _byModel = new(StringComparer.Ordinal);

        public List<BatchInputError> Errors { get; } = [];

        public long TotalErrors { get; private set; }

        public long Lines { get; private set; }

        public long Requests { get; private set; }

        public long BlankLines { get; private set; }

        public long PromptTokens { get; private set; }

        public long CompletionTokens { get; private set; }

        public IReadOnlyDictionary<string, long> ByEndpoint => _byEndpoint;

        public IReadOnlyDictionary<string, long> ByModel => _byModel;

        /// <summary>Lines whose custom_id hash was seen before, in file order (only those listed in <see cref="Errors"/>).</summary>
        public List<Duplicate>? Duplicates { get; private set; }

        public void AddError(BatchInputError error)
        {
            TotalErrors++;
            if (Errors.Count < options.MaxErrors)
            {
                Errors.Add(error);
            }
        }

        public async Task ScanAsync(BatchFileReader reader, CancellationToken cancellationToken)
        {
            await using (reader.ConfigureAwait(false))
            {
                var firstContentLine = true;
                var counter = options.CountTokens ? TokenCounter.Shared : null;

                // A first line that is not JSON at all: its errors wait for the next content line to tell a
                // stray header line from a file that is CSV or text throughout.
                string? suspectShape = null;
                long suspectLine = 0;
                List<BatchInputError>? heldErrors = null;
                while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false))
                {
                    Lines++;
                    var request = reader.CheckLine(_lineErrors, copyBody: false, firstContentLine, out var blank, out var notJsonl);
                    if (blank)
                    {
                        BlankLines++;
                        continue;
                    }

                    if (firstContentLine && request is null && !notJsonl && GuessNonJsonShape(reader.Line.Span) is { } shape)
                    {
                        firstContentLine = false;
                        suspectShape = shape;
                        suspectLine = reader.LineNumber;
                        heldErrors = [.. _lineErrors];
                        continue;
                    }

                    firstContentLine = false;
                    if (suspectShape is not null)
                    {
                        if (request is null)
                        {
                            AddError(new BatchInputError(reader.Path, suspectLine, "", NotJsonlMessage(suspectShape)));
                            return;
                        }

                        foreach (var e in heldErrors!)
                        {
                            AddError(e);
                        }

                        suspectShape = null;
                    }

                    if (request is null)
                    {
                        foreach (var e in _lineErrors)
                        {
                            AddError(e);
                        }

                        if (notJsonl)
                        {
                            // Every further line would fail the same way; one clear error says more than a hundred.
                            return;
                        }

                        continue;
                    }

                    var hash = CustomIdHash.Key(request.CustomId);
                    if (!_ids.Add(hash))
                    {
                        if (Errors.Count < options.MaxErrors)
                        {
                            (Duplicates ??= []).Add(new Duplicate(hash, request.CustomId, reader.LineNumber, Errors.Count));
                        }

                        AddError(DuplicateError(reader.Path, reader.LineNumber, request.CustomId, firstLine: 0));
                        continue;
                    }

                    Requests++;
                    CollectionsMarshal.GetValueRefOrAddDefault(_byEndpoint, CanonicalUrl(request.Endpoint), out _)++;
                    CollectionsMarshal.GetValueRefOrAddDefault(_byModel, request.Model, out _)++;
                    if (request.Endpoint != BatchEndpointKind.Embeddings)
                    {
                        CompletionTokens += request.MaxOutputTokens ?? options.DefaultMaxOutputTokens;
                    }

                    if (counter is not null)
                    {
                        PromptTokens += counter.CountPromptTokens(request);
                    }
                }

                if (suspectShape is not null)
                {
                    // The file had one content line and it was not JSON: say what the file looks like.
                    AddError(new BatchInputError(reader.Path, suspectLine, "", NotJsonlMessage(suspectShape)));
                }
            }
        }

        /// <summary>
        /// Only keys are kept per line, so the first line of each duplicated id is found with a second pass that
        /// stops at the last duplicate; it also tells a true duplicate from a (vanishingly rare) collision of keys,
        /// which is an error too, since resume knows items by their key alone.
        /// </summary>
        public async Task ResolveDuplicatesAsync(Func<BatchFileReader>? reopen, CancellationToken cancellationToken)
        {
            var duplicates = Duplicates!;
            if (reopen is null)
            {
                return;
            }

            var firstLines = new Dictionary<UInt128, (long Line, string Id)>();
            foreach (var d in duplicates)
            {
                firstLines[d.Hash] = (0, "");
            }

            var lastLine = duplicates[^1].Line;
            var seen = new CustomIdSet();
            var reader = reopen();
            await using (reader.ConfigureAwait(false))
            {
                var firstContentLine = true;
                while (reader.LineNumber < lastLine && await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false))
                {
                    var request = reader.CheckLine(_lineErrors, copyBody: false, firstContentLine, out var blank, out _);
                    firstContentLine &= blank;
                    if (request is null)
                    {
                        continue;
                    }

                    var hash = CustomIdHash.Key(request.CustomId);
                    if (seen.Add(hash) && firstLines.ContainsKey(hash))
                    {
                        firstLines[hash] = (reader.LineNumber, request.CustomId);
                    }
                }
            }

            // Walk backwards so that removing a collision does not shift the indexes still to be visited.
            for (var i = duplicates.Count - 1; i >= 0; i--)
            {
                var d = duplicates[i];
                var (line, id) = firstLines[d.Hash];
                if (line > 0 && line < d.Line && id == d.CustomId)
                {
                    Errors[d.ErrorIndex] = DuplicateError(Errors[d.ErrorIndex].Path, d.Line, d.CustomId, line);
                }
                else if (line > 0 && id != d.CustomId)
                {
                    // Two different ids with one key (chance 2^-128 a pair): resume could not tell them apart.
                    Errors[d.ErrorIndex] = new BatchInputError(Errors[d.ErrorIndex].Path, d.Line, "custom_id", $"\"{d.CustomId}\" has the same 128-bit identity as \"{id}\" on line {line}, so a resumed run could not tell them apart; rename one");
                }
            }
        }

        private static BatchInputError DuplicateError(string path, long line, string customId, long firstLine) =>
            new(path, line, "custom_id", firstLine > 0
                ? $"\"{customId}\" is already used on line {firstLine}; every custom_id must be unique"
                : $"\"{customId}\" is already used on an earlier line; every custom_id must be unique");
    }

    /// <summary>A line whose custom_id was seen before, and where its error sits in the list.</summary>
    private readonly record struct Duplicate(UInt128 Hash, string CustomId, long Line, int ErrorIndex);
}

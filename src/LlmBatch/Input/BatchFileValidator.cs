using System.Runtime.InteropServices;
using LlmBatch.Output;
using LlmBatch.RateLimiting;

namespace LlmBatch.Input;

/// <summary>
/// Checks a whole input file in one streamed pass and sums what it holds: every problem up to the cap, the requests
/// by endpoint and model, and the tokens they would cost. Only a 128-bit key is kept per custom_id (outside the GC heap,
/// freed when the pass ends, see <see cref="NativeKeySet{T}"/>), so a second pass
/// (<see cref="DuplicateLineFinder"/>) finds the first line of each duplicated id when there are any. An
/// <see cref="IRequestSink"/> sees each good request in the same pass.
/// </summary>
internal sealed class BatchFileValidator : IDisposable
{
    // Lines read before the count is estimated from the file's length: enough to average out a short first line.
    private const int EstimateAfterLines = 1024;

    private readonly BatchValidationOptions _options;
    private readonly IRequestSink? _sink;
    private readonly long _inputBytes;
    private readonly NativeKeySet<UInt128> _ids = new();
    private readonly List<BatchInputError> _lineErrors = new(4);
    private readonly Dictionary<string, long> _byEndpoint = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _byModel = new(StringComparer.Ordinal);
    private readonly List<BatchInputError> _errors = [];
    private List<DuplicateLineFinder.Duplicate>? _duplicates;
    private long _totalErrors;
    private long _lines;
    private long _requests;
    private long _blankLines;
    private long _promptTokens;
    private long _completionTokens;

    private BatchFileValidator(BatchValidationOptions options, IRequestSink? sink, long inputBytes)
    {
        _options = options;
        _sink = sink;
        _inputBytes = inputBytes;
    }

    /// <summary>Checks a whole input, collecting every problem up to the cap.</summary>
    /// <param name="open">Opens the input from its start; called again for a second pass when duplicates need their first line.</param>
    /// <param name="canReopen">Whether <paramref name="open"/> may be called a second time.</param>
    /// <param name="path">The name used in errors.</param>
    /// <param name="options">Validated options.</param>
    /// <param name="sink">Sees each good request, or null.</param>
    /// <param name="inputBytes">The input's length in bytes, or 0 when not known (sizes the sets once).</param>
    /// <param name="cancellationToken">Stops the check.</param>
    public static async Task<BatchValidationReport> ValidateAsync(
        Func<JsonlLineReader> open,
        bool canReopen,
        string path,
        BatchValidationOptions options,
        IRequestSink? sink,
        long inputBytes,
        CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var started = time.GetTimestamp();
        var state = new BatchFileValidator(options, sink, inputBytes);
        try
        {
            await state.ScanAsync(open(), cancellationToken).ConfigureAwait(false);
            state.Dispose();
            if (state._duplicates is { Count: > 0 } duplicates && canReopen)
            {
                await DuplicateLineFinder.ResolveAsync(open(), duplicates, state._errors, cancellationToken).ConfigureAwait(false);
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
        finally
        {
            state.Dispose();
        }

        if (state._requests == 0 && state._totalErrors == 0)
        {
            state.AddError(NoRequests(path));
        }

        return new BatchValidationReport(
            path,
            state._lines,
            state._requests,
            state._blankLines,
            state._byEndpoint,
            state._byModel,
            state._promptTokens,
            state._completionTokens,
            state._errors,
            state._totalErrors,
            time.GetElapsedTime(started));
    }

    /// <summary>Frees the set of custom_id keys: the pass is over (a second one keeps its own).</summary>
    public void Dispose() => _ids.Dispose();

    /// <summary>The error for an input with no request in it.</summary>
    public static BatchInputError NoRequests(string path) => new(path, 0, "", "the file holds no requests (it is empty or has only blank lines)");

    /// <summary>The error for a custom_id used before; <paramref name="firstLine"/> 0 when that line is not known.</summary>
    public static BatchInputError DuplicateError(string path, long line, string customId, long firstLine) =>
        new(path, line, "custom_id", firstLine > 0
            ? $"\"{customId}\" is already used on line {firstLine}; every custom_id must be unique"
            : $"\"{customId}\" is already used on an earlier line; every custom_id must be unique");

    private void AddError(BatchInputError error)
    {
        _totalErrors++;
        if (_errors.Count < _options.MaxErrors)
        {
            _errors.Add(error);
        }
    }

    private async Task ScanAsync(JsonlLineReader reader, CancellationToken cancellationToken)
    {
        await using (reader.ConfigureAwait(false))
        {
            var firstContentLine = true;
            var counter = _options.CountTokens ? TokenCounter.Shared : null;

            // A first line that is not JSON at all: its errors wait for the next content line to tell a
            // stray header line from a file that is CSV or text throughout.
            string? suspectShape = null;
            long suspectLine = 0;
            List<BatchInputError>? heldErrors = null;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (++_lines == EstimateAfterLines && _inputBytes > reader.EndOffset)
                {
                    Expect(_inputBytes * _lines / reader.EndOffset);
                }

                var request = BatchLineChecker.Check(reader, _lineErrors, copyBody: false, firstContentLine, out var blank, out var notJsonl);
                if (blank)
                {
                    _blankLines++;
                    continue;
                }

                if (firstContentLine && request is null && !notJsonl && InputFileShape.GuessNonJson(reader.Line.Span) is { } shape)
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
                        AddError(new BatchInputError(reader.Path, suspectLine, "", InputFileShape.NotJsonlMessage(suspectShape)));
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

                Count(reader, request, counter);
            }

            if (suspectShape is not null)
            {
                // The file had one content line and it was not JSON: say what the file looks like.
                AddError(new BatchInputError(reader.Path, suspectLine, "", InputFileShape.NotJsonlMessage(suspectShape)));
            }
        }
    }

    /// <summary>
    /// Sizes the key sets once for the whole input. A file whose first lines are shorter than the rest is
    /// overestimated, so the estimate is capped; one whose first lines are longer still grows the sets as they fill.
    /// </summary>
    private void Expect(long estimate)
    {
        var requests = Math.Min(estimate + (estimate / 16), 16L << 20);
        _ids.EnsureCapacity(requests);
        _sink?.Expect(requests);
    }

    private void Count(JsonlLineReader reader, BatchRequest request, TokenCounter? counter)
    {
        var hash = CustomIdHash.Key(request.CustomId);
        if (!_ids.Add(hash))
        {
            if (_errors.Count < _options.MaxErrors)
            {
                (_duplicates ??= []).Add(new DuplicateLineFinder.Duplicate(hash, request.CustomId, reader.LineNumber, _errors.Count));
            }

            AddError(DuplicateError(reader.Path, reader.LineNumber, request.CustomId, firstLine: 0));
            return;
        }

        _requests++;
        _sink?.Add(request);
        CollectionsMarshal.GetValueRefOrAddDefault(_byEndpoint, EndpointPaths.For(request.Endpoint), out _)++;
        CollectionsMarshal.GetValueRefOrAddDefault(_byModel, request.Model, out _)++;
        if (request.Endpoint != BatchEndpointKind.Embeddings)
        {
            _completionTokens += request.MaxOutputTokens ?? _options.DefaultMaxOutputTokens;
        }

        if (counter is not null)
        {
            _promptTokens += counter.CountPromptTokens(request);
        }
    }
}

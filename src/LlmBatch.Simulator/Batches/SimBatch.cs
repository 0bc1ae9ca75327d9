using System.Buffers;
using System.Globalization;
using LlmBatch.BatchApi;

namespace LlmBatch.Simulator;

/// <summary>
/// One batch of the simulated Batch API. Its progress is a function of time, computed when someone looks
/// (<see cref="Advance"/>), so a batch needs no timer and runs the same on a fake clock: validation takes the first 5 %
/// of <see cref="SimulatorOptions.BatchDuration"/>, items finish at an even pace over the next 80 %, finalizing takes
/// the rest. Items are answered as they become due, so <c>request_counts</c> are true at every status; the output and
/// error files are stored when the batch ends.
/// </summary>
internal sealed class SimBatch
{
    private const double ValidatingShare = 0.05;
    private const double ProcessingEnd = 0.85;

    private readonly BatchService _service;
    private readonly Lock _lock = new();
    private readonly byte[] _content;
    private readonly List<BatchLine> _lines;
    private readonly ulong _hash;
    private readonly int _limit;
    private readonly ArrayBufferWriter<byte> _output = new();
    private readonly ArrayBufferWriter<byte> _errors = new();
    private readonly DateTimeOffset _created;
    private readonly TimeSpan _duration;
    private BatchApiStatus _status = BatchApiStatus.Validating;
    private DateTimeOffset? _inProgressAt;
    private DateTimeOffset? _finalizingAt;
    private DateTimeOffset? _completedAt;
    private DateTimeOffset? _failedAt;
    private DateTimeOffset? _expiredAt;
    private DateTimeOffset? _cancellingAt;
    private DateTimeOffset? _cancelledAt;
    private string? _outputFileId;
    private string? _errorFileId;
    private int _processed;
    private int _succeeded;
    private int _failedItems;

    public SimBatch(BatchService service, string id, SimFile input, BatchRequestInfo request, BatchInputCheck.Result check, BatchFate fate, long tokens, DateTimeOffset created)
    {
        _service = service;
        Id = id;
        InputFileId = input.Id;
        Endpoint = request.Endpoint;
        CompletionWindow = request.CompletionWindow;
        Metadata = request.Metadata;
        KeyName = request.KeyName;
        Model = check.Model;
        Fate = fate;
        Tokens = tokens;
        Problems = fate switch
        {
            BatchFate.Invalid => check.Problems,
            BatchFate.TokenLimit => [service.TokenLimitProblem(check.Model)],
            BatchFate.Fail => [new BatchProblem("invalid_request", "Simulated validation failure (--p-batch-fail): the batch was rejected although its file is valid.", null, null)],
            _ => [],
        };
        _content = input.Content;
        _lines = check.Lines;
        _hash = service.Hash(input.Content);
        _limit = fate == BatchFate.Expire ? _lines.Count - (int)Math.Floor(_lines.Count * service.Options.BatchExpireUnrun) : _lines.Count;
        _created = created;
        _duration = service.Options.BatchDuration;
    }

    /// <summary>A consistent copy of what the batch object shows.</summary>
    public sealed record View(
        string Id, string Endpoint, string Model, IReadOnlyList<BatchProblem> Problems, string InputFileId, string CompletionWindow,
        BatchApiStatus Status, string? OutputFileId, string? ErrorFileId, DateTimeOffset CreatedAt, DateTimeOffset? InProgressAt,
        DateTimeOffset ExpiresAt, DateTimeOffset? FinalizingAt, DateTimeOffset? CompletedAt, DateTimeOffset? FailedAt,
        DateTimeOffset? ExpiredAt, DateTimeOffset? CancellingAt, DateTimeOffset? CancelledAt, int Total, int Completed, int Failed,
        IReadOnlyDictionary<string, string> Metadata);

    public string Id { get; }

    public string InputFileId { get; }

    public string Endpoint { get; }

    public string CompletionWindow { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public string KeyName { get; }

    public string Model { get; }

    public BatchFate Fate { get; }

    /// <summary>Prompt tokens of the batch: what it holds of the enqueued-token limit while it runs.</summary>
    public long Tokens { get; }

    public IReadOnlyList<BatchProblem> Problems { get; }

    /// <summary>True while the batch holds enqueued tokens: accepted and not yet ended.</summary>
    public bool Enqueued
    {
        get
        {
            lock (_lock)
            {
                return Fate is not (BatchFate.TokenLimit or BatchFate.Invalid or BatchFate.Fail)
                    && _status is BatchApiStatus.Validating or BatchApiStatus.InProgress or BatchApiStatus.Finalizing or BatchApiStatus.Cancelling;
            }
        }
    }

    /// <summary>True when a new batch on the same input file would run the same items again.</summary>
    public bool Live
    {
        get
        {
            lock (_lock)
            {
                return _status is not (BatchApiStatus.Failed or BatchApiStatus.Expired or BatchApiStatus.Cancelled);
            }
        }
    }

    /// <summary>Brings the batch up to <paramref name="now"/>: status changes, items due answered, files stored at the end.</summary>
    public void Advance(DateTimeOffset now)
    {
        lock (_lock)
        {
            while (Step(now))
            {
            }
        }
    }

    /// <summary>Starts cancelling; false (and the status) when the batch is past the point where it can be cancelled.</summary>
    public bool Cancel(DateTimeOffset now, out BatchApiStatus status)
    {
        lock (_lock)
        {
            while (Step(now))
            {
            }

            status = _status;
            if (_status is BatchApiStatus.Validating or BatchApiStatus.InProgress)
            {
                _status = BatchApiStatus.Cancelling;
                _cancellingAt = now;
                return true;
            }

            return _status == BatchApiStatus.Cancelling;
        }
    }

    public View Snapshot()
    {
        lock (_lock)
        {
            var validated = _status is not BatchApiStatus.Validating && !(_status == BatchApiStatus.Failed) && !(_status == BatchApiStatus.Cancelling && _inProgressAt is null);
            return new View(
                Id, Endpoint, Model, _status == BatchApiStatus.Failed ? Problems : [], InputFileId, CompletionWindow, _status, _outputFileId, _errorFileId,
                _created, _inProgressAt, _created + _duration, _finalizingAt, _completedAt, _failedAt, _expiredAt, _cancellingAt, _cancelledAt,
                validated || _status == BatchApiStatus.Cancelled ? _lines.Count : 0, _succeeded, _failedItems, Metadata);
        }
    }

    // One transition at most; true when another may follow at the same instant.
    private bool Step(DateTimeOffset now)
    {
        var validated = _created + (_duration * ValidatingShare);
        switch (_status)
        {
            case BatchApiStatus.Validating when now >= validated:
                if (Fate is BatchFate.Fail or BatchFate.TokenLimit or BatchFate.Invalid)
                {
                    _status = BatchApiStatus.Failed;
                    _failedAt = validated;
                    _service.Counters.Ended(_status);
                    return false;
                }

                _status = BatchApiStatus.InProgress;
                _inProgressAt = validated;
                return true;
            case BatchApiStatus.InProgress:
                ProcessUntil(now);
                if (Fate == BatchFate.Expire)
                {
                    if (now < _created + _duration)
                    {
                        return false;
                    }

                    ProcessUntil(_created + _duration);
                    _status = BatchApiStatus.Expired;
                    _expiredAt = _created + _duration;
                    Finish("batch_expired", BatchJson.ExpiredMessage);
                    return false;
                }

                if (now < _created + (_duration * ProcessingEnd))
                {
                    return false;
                }

                ProcessUntil(_created + (_duration * ProcessingEnd));
                _status = BatchApiStatus.Finalizing;
                _finalizingAt = _created + (_duration * ProcessingEnd);
                return true;
            case BatchApiStatus.Finalizing when now >= _created + _duration:
                _status = BatchApiStatus.Completed;
                _completedAt = _created + _duration;
                Finish(null, null);
                return false;
            case BatchApiStatus.Cancelling when now >= _cancellingAt!.Value + (_duration * ValidatingShare):
                // Items stop at the cancel request; the rest never run.
                ProcessUntil(_cancellingAt.Value);
                _status = BatchApiStatus.Cancelled;
                _cancelledAt = _cancellingAt.Value + (_duration * ValidatingShare);
                Finish("batch_cancelled", BatchJson.CancelledMessage);
                return false;
            default:
                return false;
        }
    }

    private void ProcessUntil(DateTimeOffset now)
    {
        if (_inProgressAt is not { } started)
        {
            return;
        }

        var span = _duration * (ProcessingEnd - ValidatingShare);
        var share = Math.Clamp((now - started) / span, 0, 1);
        var due = Math.Min(_limit, (int)Math.Floor(_lines.Count * share));
        while (_processed < due)
        {
            Answer(_processed++);
        }
    }

    private void Answer(int index)
    {
        var line = _lines[index];
        var body = _content.AsSpan(line.BodyOffset, line.BodyLength).ToArray();
        var itemId = "batch_req_" + SplitMix.Mix(_hash, (ulong)index).ToString("x24", CultureInfo.InvariantCulture);
        var requestId = _service.NextRequestId();
        if (_service.ItemFails(_hash, index))
        {
            var error = ModelAnswer.Error("The server had an error while processing your request. Sorry about that!", "server_error", null, null);
            BatchJson.WriteAnswerLine(_errors, itemId, line.CustomId, 500, requestId, error.WrittenSpan);
            _failedItems++;
            _service.Counters.Answered(error: true);
            return;
        }

        var (status, answer, prompt, completion) = _service.Answers.Answer(line.Kind, line.Url, body);
        if (status is >= 200 and < 300)
        {
            BatchJson.WriteAnswerLine(_output, itemId, line.CustomId, status, requestId, answer.WrittenSpan);
            _succeeded++;
            _service.Counters.Answered(error: false);
            _service.Stats.Success(ModelAnswer.KeyHash(_service.Answers.RequestHash(body), KeyName), prompt, completion);
        }
        else
        {
            BatchJson.WriteAnswerLine(_errors, itemId, line.CustomId, status, requestId, answer.WrittenSpan);
            _failedItems++;
            _service.Counters.Answered(error: true);
        }
    }

    // Writes a line for each item that never ran, stores the files and counts the end.
    private void Finish(string? unrunCode, string? unrunMessage)
    {
        if (unrunCode is not null)
        {
            for (var i = _processed; i < _lines.Count; i++)
            {
                var itemId = "batch_req_" + SplitMix.Mix(_hash, (ulong)i).ToString("x24", CultureInfo.InvariantCulture);
                BatchJson.WriteUnrunLine(_errors, itemId, _lines[i].CustomId, unrunCode, unrunMessage!);
            }
        }

        if (_output.WrittenCount > 0)
        {
            _outputFileId = _service.Files.Add($"batch_{Id}_output.jsonl", "batch_output", _output.WrittenSpan.ToArray()).Id;
        }

        if (_errors.WrittenCount > 0)
        {
            _errorFileId = _service.Files.Add($"batch_{Id}_error.jsonl", "batch_output", _errors.WrittenSpan.ToArray()).Id;
        }

        _service.Counters.Ended(_status);
    }
}

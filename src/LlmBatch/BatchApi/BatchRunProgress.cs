namespace LlmBatch.BatchApi;

/// <summary>
/// What one <see cref="BatchApiRun"/> shows while it runs: its phase, its counts, each chunk with an estimate of when it
/// ends, and the last 20 events. Steps run on one task but the CLI reads from another, so every change builds a new
/// immutable <see cref="BatchApiProgress"/> under one lock and readers take the latest whole.
/// </summary>
internal sealed class BatchRunProgress(TimeProvider time, Func<BatchJobState?> state)
{
    private const int KeptEvents = 20;

    private readonly Lock _publish = new();
    private readonly Queue<string> _events = new();
    private volatile BatchApiProgress _current = new();
    private int _eventCount;
    private string _phase = "starting";

    /// <summary>The latest published snapshot.</summary>
    public BatchApiProgress Current => _current;

    public BatchPlan? Plan { get; set; }

    /// <summary>Requests in the input.</summary>
    public long Total { get; set; }

    /// <summary>Requests with a final line before this run started.</summary>
    public long Resumed { get; set; }

    /// <summary>Lines of batches merged as succeeded by this run.</summary>
    public long Succeeded { get; set; }

    /// <summary>Lines of batches merged as failed by this run.</summary>
    public long Failed { get; set; }

    public void SetPhase(string phase)
    {
        _phase = phase;
        Publish();
    }

    public void Event(string message)
    {
        lock (_publish)
        {
            _events.Enqueue(message);
            if (_events.Count > KeptEvents)
            {
                _events.Dequeue();
            }

            _eventCount++;
        }

        Publish();
    }

    public void Publish()
    {
        lock (_publish)
        {
            var now = time.GetUtcNow();
            var chunks = state()?.Chunks.Select(c => Describe(c, now)).ToList() ?? [];
            var etas = chunks.Where(c => c.Phase != "done" && c.Eta is not null).Select(c => c.Eta!.Value).ToList();
            _current = new BatchApiProgress
            {
                Phase = _phase,
                Plan = Plan,
                Total = Total,
                Resumed = Resumed,
                Succeeded = Succeeded,
                Failed = Failed,
                Chunks = chunks,
                Eta = etas.Count > 0 ? etas.Max() : null,
                RecentEvents = [.. _events],
                EventCount = _eventCount,
            };
        }
    }

    private static BatchApiChunkProgress Describe(BatchChunkState c, DateTimeOffset now)
    {
        TimeSpan? eta = null;
        var answered = c.Completed + c.Failed;
        if (c.Phase == ChunkPhase.Submitted && c.Status == BatchApiStatus.InProgress && c.InProgressAt is { } started && answered > 0 && now > started)
        {
            eta = (now - started) * ((double)(c.Requests - answered) / answered);
        }

        return new BatchApiChunkProgress
        {
            Index = c.Index,
            Model = c.Model,
            Requests = c.Requests,
            Phase = c.Phase.ToString().ToLowerInvariant(),
            BatchId = c.BatchIds.Count > 0 ? c.BatchIds[^1] : null,
            Status = c.Status,
            Completed = c.Completed,
            Failed = c.Failed,
            Eta = eta,
            Note = c.Problem,
        };
    }
}

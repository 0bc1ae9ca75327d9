namespace LlmBatch.Tests.TestSupport.Servers;

/// <summary>What a <see cref="SlotServer"/> does with a request past its slots.</summary>
public enum SlotOverflow
{
    /// <summary>Waits for a slot (vLLM, llama.cpp): latency grows, throughput does not.</summary>
    Queue,

    /// <summary>Answers 503 at once (Ollama with a full queue).</summary>
    Reject503,

    /// <summary>Answers 429 without any rate-limit header at once (TGI past max_concurrent_requests).</summary>
    Reject429,
}

/// <summary>
/// An inference server bound by processing slots, with no rate-limit headers. Each request needs a first-token time
/// and then <c>tokens</c> decoding steps; with continuous batching every active sequence advances one token per step,
/// and a step takes longer the more sequences share it: <c>step(a) = perToken × (1 + growth × min(a, S) / S) × max(1, a / S)</c>
/// for saturation point S. Below S the growth is gentle (memory-bound decoding), past it every sequence slows in
/// proportion (compute-bound): throughput against concurrency has a knee at S. Past <c>slots</c> requests queue or are
/// refused. Optionally a share of answers are 503 faults that come after the normal processing time.
/// </summary>
internal sealed class SlotServer : IScriptedServer
{
    private readonly List<SimAttempt> _active = [];
    private readonly Queue<SimAttempt> _queue = new();
    private readonly PriorityQueue<SimAttempt, DateTimeOffset> _answers = new();
    private readonly int _slots;
    private readonly int _saturation;
    private readonly double _growth;
    private readonly TimeSpan _firstToken;
    private readonly double _perTokenMs;
    private readonly int _tokens;
    private readonly SlotOverflow _overflow;
    private readonly double _faultRate;
    private readonly Random _random;
    private readonly double _jitter;
    private readonly bool _fixedFirstToken;
    private DateTimeOffset _last;

    public SlotServer(DateTimeOffset origin, int slots, TimeSpan firstToken, double perTokenMs, int tokens, SlotOverflow overflow, int? saturation = null, double growth = 0, double faultRate = 0, int seed = 7, double jitter = 0, bool fixedFirstToken = false)
    {
        _jitter = jitter;
        _fixedFirstToken = fixedFirstToken;
        _last = origin;
        _slots = slots;
        _saturation = saturation ?? slots;
        _growth = growth;
        _firstToken = firstToken;
        _perTokenMs = perTokenMs;
        _tokens = tokens;
        _overflow = overflow;
        _faultRate = faultRate;
        _random = new Random(seed);
    }

    public long Refused { get; private set; }

    public long Faults { get; private set; }

    public int MaxActive { get; private set; }

    public void Arrive(SimAttempt attempt, DateTimeOffset now)
    {
        Advance(now);
        if (_active.Count >= _slots)
        {
            if (_overflow == SlotOverflow.Queue)
            {
                _queue.Enqueue(attempt);
                return;
            }

            Refused++;
            attempt.Response = Responses.Status(_overflow == SlotOverflow.Reject503 ? 503 : 429);
            attempt.DueAt = now + TimeSpan.FromMilliseconds(1);
            _answers.Enqueue(attempt, attempt.DueAt);
            return;
        }

        Start(attempt, now);
    }

    public IEnumerable<SimAttempt> Due(DateTimeOffset now)
    {
        Advance(now);
        while (_answers.TryPeek(out var a, out var due) && due <= now)
        {
            _answers.Dequeue();
            yield return a;
        }
    }

    private double Normal()
    {
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>The time one decoding step takes with <paramref name="active"/> sequences.</summary>
    public double StepMs(int active)
    {
        var a = Math.Max(1, active);
        return _perTokenMs * (1 + (_growth * Math.Min(a, _saturation) / _saturation)) * Math.Max(1.0, (double)a / _saturation);
    }

    private void Start(SimAttempt attempt, DateTimeOffset now)
    {
        // With jitter, as the simulator: a lognormal first-token time (sigma = jitter) and answers of lognormal length
        // (sigma 0.5) capped at the maximum. The first-token time is spent before decoding: as work at the rate of an
        // unloaded step (slowed by load), or as a fixed wait that load does not slow (the simulator's --saturation).
        var tokens = (double)_tokens;
        var firstMs = _firstToken.TotalMilliseconds;
        if (_jitter > 0)
        {
            firstMs *= Math.Exp(_jitter * Normal());
            tokens = Math.Min(_tokens, Math.Max(1, Math.Round(_tokens * 0.8 * Math.Exp(0.5 * Normal()))));
        }

        attempt.WorkLeft = tokens + (_fixedFirstToken ? 0 : firstMs / _perTokenMs);
        attempt.DueAt = now + (_fixedFirstToken ? TimeSpan.FromMilliseconds(firstMs) : TimeSpan.Zero);
        _active.Add(attempt);
        MaxActive = Math.Max(MaxActive, _active.Count);
    }

    /// <summary>Runs the decoding steps up to <paramref name="now"/>, finishing and starting requests as slots free.</summary>
    private void Advance(DateTimeOffset now)
    {
        var ms = (now - _last).TotalMilliseconds;
        _last = now;
        if (ms <= 0 || _active.Count == 0)
        {
            return;
        }

        // Sequences still in their fixed first-token wait do not decode, and do not slow the others.
        var decoding = 0;
        foreach (var a in _active)
        {
            if (a.DueAt <= now)
            {
                decoding++;
            }
        }

        var progress = ms / StepMs(decoding);
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            var a = _active[i];
            if (a.DueAt > now)
            {
                continue;
            }

            a.WorkLeft -= progress;
            if (a.WorkLeft <= 0)
            {
                _active.RemoveAt(i);
                var fault = _faultRate > 0 && _random.NextDouble() < _faultRate;
                if (fault)
                {
                    Faults++;
                }

                a.Response = fault ? Responses.Status(503) : Responses.Ok();
                a.DueAt = now;
                _answers.Enqueue(a, now);
            }
        }

        while (_active.Count < _slots && _queue.TryDequeue(out var next))
        {
            Start(next, now);
        }
    }
}

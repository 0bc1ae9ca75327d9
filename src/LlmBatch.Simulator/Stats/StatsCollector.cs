using System.Runtime.CompilerServices;

namespace LlmBatch.Simulator;

/// <summary>Lock-free counters for <see cref="SimulatorStats"/>; the success hash set is the only thing that grows (one 64-bit hash per distinct success).</summary>
internal sealed class StatsCollector
{
    private static readonly string[] FaultNames = ["none", "500", "503", "529", "truncate", "reset", "hang", "slow"];
    private readonly TimeProvider _time;
    private readonly object _resetLock = new();
    private StatsState _state;
    private int _inFlight;

    public StatsCollector(TimeProvider time)
    {
        _time = time;
        _state = new StatsState(time.GetTimestamp());
    }

    /// <summary>The Batch API's own figures; they live and reset with the rest.</summary>
    public BatchCounters Batches => _state.Batches;

    public int EnterRequest()
    {
        var now = Interlocked.Increment(ref _inFlight);
        var s = _state;
        var max = Volatile.Read(ref s.MaxInFlight);
        while (now > max)
        {
            var seen = Interlocked.CompareExchange(ref s.MaxInFlight, now, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }

        return now;
    }

    public void ExitRequest() => Interlocked.Decrement(ref _inFlight);

    public void Record(string endpoint, int status)
    {
        var s = _state;
        Interlocked.Increment(ref s.Total);
        var box = s.ByEndpoint.GetOrAdd((endpoint, status), static _ => new StrongBox<long>());
        Interlocked.Increment(ref box.Value);
    }

    public void RateLimited(RateLimitKind kind)
    {
        var s = _state;
        if (kind == RateLimitKind.Requests)
        {
            Interlocked.Increment(ref s.RateLimitedRequests);
        }
        else
        {
            Interlocked.Increment(ref s.RateLimitedTokens);
        }
    }

    public void CapacityRejected() => Interlocked.Increment(ref _state.CapacityRejected);

    public void Fault(FaultKind kind) => Interlocked.Increment(ref _state.Faults[(int)kind]);

    public void Admitted(long tokens) => Interlocked.Add(ref _state.TokensAdmitted, tokens);

    /// <summary>Counts a successful answer and whether the same (key, body) had already succeeded.</summary>
    public void Success(ulong requestKeyHash, long promptTokens, long completionTokens)
    {
        var s = _state;
        Interlocked.Add(ref s.PromptTokens, promptTokens);
        Interlocked.Add(ref s.CompletionTokens, completionTokens);
        if (!s.Succeeded.TryAdd(requestKeyHash, 0))
        {
            Interlocked.Increment(ref s.Duplicates);
        }
    }

    public void Reset()
    {
        lock (_resetLock)
        {
            _state = new StatsState(_time.GetTimestamp()) { MaxInFlight = Volatile.Read(ref _inFlight) };
        }
    }

    public SimulatorStats Snapshot()
    {
        var s = _state;
        var requests = new SortedDictionary<string, IReadOnlyDictionary<int, long>>(StringComparer.Ordinal);
        foreach (var ((endpoint, status), box) in s.ByEndpoint)
        {
            if (!requests.TryGetValue(endpoint, out var statuses))
            {
                statuses = new SortedDictionary<int, long>();
                requests[endpoint] = statuses;
            }

            ((SortedDictionary<int, long>)statuses)[status] = Interlocked.Read(ref box.Value);
        }

        var faults = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 1; i < FaultNames.Length; i++)
        {
            faults[FaultNames[i]] = Interlocked.Read(ref s.Faults[i]);
        }

        return new SimulatorStats
        {
            Elapsed = _time.GetElapsedTime(s.Started),
            TotalRequests = Interlocked.Read(ref s.Total),
            Requests = requests,
            RateLimitedRequests = Interlocked.Read(ref s.RateLimitedRequests),
            RateLimitedTokens = Interlocked.Read(ref s.RateLimitedTokens),
            CapacityRejected = Interlocked.Read(ref s.CapacityRejected),
            Faults = faults,
            MaxInFlight = Volatile.Read(ref s.MaxInFlight),
            TokensAdmitted = Interlocked.Read(ref s.TokensAdmitted),
            PromptTokens = Interlocked.Read(ref s.PromptTokens),
            CompletionTokens = Interlocked.Read(ref s.CompletionTokens),
            DuplicateSuccesses = Interlocked.Read(ref s.Duplicates),
            Batches = s.Batches.Snapshot(),
        };
    }

    public static string FaultName(FaultKind kind) => FaultNames[(int)kind];
}

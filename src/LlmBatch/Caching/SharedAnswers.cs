using LlmBatch.Providers;

namespace LlmBatch.Caching;

/// <summary>
/// The answers of a run that identical requests share: the one in flight (its copies wait for it) and, when the input's
/// <see cref="RepeatIndex"/> says more copies are to come, the finished answer until the last copy has taken it.
/// Everything is under one lock, held for dictionary operations only.
/// </summary>
internal sealed class SharedAnswers(RepeatIndex? repeats, long maxRetainedBytes)
{
    private readonly Dictionary<RequestKey, Entry> _entries = [];
    private readonly Lock _lock = new();
    private long _retainedBytes;

    /// <summary>Answer bytes kept now.</summary>
    public long RetainedBytes
    {
        get
        {
            lock (_lock)
            {
                return _retainedBytes;
            }
        }
    }

    /// <summary>Answers not kept because <c>MaxRetainedBytes</c> was reached; their later copies are sent again.</summary>
    public long Dropped { get; private set; }

    /// <summary>
    /// Joins the request with this key: the finished answer to share, or the flight to wait for, or the caller leads
    /// (<see cref="Claimed.Lead"/>) and must end the flight with <see cref="Complete"/> or <see cref="Fail"/>.
    /// </summary>
    public Claimed Claim(RequestKey key, string customId)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                entry.Remaining--;
                if (entry.Answer is { } answer)
                {
                    if (entry.Remaining <= 0)
                    {
                        _entries.Remove(key);
                        _retainedBytes -= answer.Body.Length;
                    }

                    return new Claimed(answer, entry.Leader, null, null);
                }

                return new Claimed(null, entry.Leader, entry.Flight, null);
            }

            var flight = new Flight();
            _entries.Add(key, new Entry { Flight = flight, Remaining = (repeats?.Occurrences(key) ?? 1) - 1, Leader = customId });
            return new Claimed(null, null, null, flight);
        }
    }

    /// <summary>Ends the flight with an answer; keeps it when it succeeded and copies are still to come.</summary>
    public void Complete(RequestKey key, Flight flight, BatchResponse response, bool succeeded)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var entry) && entry.Flight == flight)
            {
                if (succeeded && entry.Remaining > 0 && _retainedBytes + response.Body.Length <= maxRetainedBytes)
                {
                    entry.Flight = null;
                    entry.Answer = response;
                    _retainedBytes += response.Body.Length;
                }
                else
                {
                    if (succeeded && entry.Remaining > 0)
                    {
                        Dropped++;
                    }

                    _entries.Remove(key);
                }
            }
        }

        flight.Source.TrySetResult(response);
    }

    /// <summary>Ends the flight without an answer; the copies waiting get the same outcome (or try themselves, after a cancellation).</summary>
    public void Fail(RequestKey key, Flight flight, Exception exception)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var entry) && entry.Flight == flight)
            {
                _entries.Remove(key);
            }
        }

        flight.Source.TrySetException(exception);
    }

    /// <summary>What <see cref="Claim"/> found: an answer to share (from <c>From</c>), a flight to wait for, or the lead.</summary>
    internal readonly record struct Claimed(BatchResponse? Answer, string? From, Flight? Wait, Flight? Lead);

    /// <summary>One request on the wire whose copies wait for its outcome.</summary>
    internal sealed class Flight
    {
        public TaskCompletionSource<BatchResponse> Source { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Entry
    {
        public Flight? Flight;
        public BatchResponse? Answer;
        public int Remaining;
        public string Leader = "";
    }
}

using LlmBatch.Providers;
using LlmBatch.Resilience;

namespace LlmBatch.Endpoints;

/// <summary>
/// One endpoint's circuit breaker (see <see cref="EndpointHealthOptions"/> for the rules). Hand-written rather than
/// Polly's: Polly's breaker guards an execution and rejects it when open, while the router must know before it queues
/// an attempt for admission whether an endpoint may take it at all, and must be able to hand an unused probe back
/// when another endpoint admitted the attempt first.
/// </summary>
internal sealed class EndpointHealth(EndpointHealthOptions options, TimeProvider time)
{
    private readonly Lock _lock = new();
    private int _failuresInARow;
    private int _breaks;
    private long _timesOut;
    private long _outUntil;
    private bool _out;
    private bool _probing;

    /// <summary>How an attempt's end bears on the endpoint.</summary>
    public enum Verdict
    {
        /// <summary>Nothing about the endpoint: a success, a throttle, an error of the request itself.</summary>
        Fine,

        /// <summary>A failure that may be the request's or the endpoint's: counts towards the threshold.</summary>
        Failure,

        /// <summary>The endpoint itself is unusable (refused connection, unknown host, refused key): out at once, and the attempt may go elsewhere unsent.</summary>
        Unusable,
    }

    public EndpointState State
    {
        get
        {
            lock (_lock)
            {
                return !_out ? EndpointState.Healthy : _probing || time.GetTimestamp() >= _outUntil ? EndpointState.Probing : EndpointState.Out;
            }
        }
    }

    public long TimesOut => Interlocked.Read(ref _timesOut);

    /// <summary>How long until the break ends (zero when it has, or the endpoint is in).</summary>
    public TimeSpan OutFor
    {
        get
        {
            lock (_lock)
            {
                var now = time.GetTimestamp();
                return _out && now < _outUntil ? time.GetElapsedTime(now, _outUntil) : TimeSpan.Zero;
            }
        }
    }

    /// <summary>
    /// Whether an attempt may go here now; <paramref name="probe"/> says it is the one probe after a break, which must
    /// be handed back (<see cref="Release"/>) if the attempt goes elsewhere.
    /// </summary>
    public bool TryEnter(out bool probe)
    {
        probe = false;
        lock (_lock)
        {
            if (!_out)
            {
                return true;
            }

            if (_probing || time.GetTimestamp() < _outUntil)
            {
                return false;
            }

            _probing = true;
            probe = true;
            return true;
        }
    }

    /// <summary>Hands back a probe that was not sent.</summary>
    public void Release(bool probe)
    {
        if (!probe)
        {
            return;
        }

        lock (_lock)
        {
            _probing = false;
        }
    }

    /// <summary>Records how an attempt ended; returns what it says about the endpoint.</summary>
    public Verdict OnResponse(BatchResponse response, bool probe) =>
        Record(Judge(response.StatusCode), probe, refusedKey: response.StatusCode is 401 or 403);

    /// <summary>Records an attempt that ended without an answer.</summary>
    public Verdict OnException(Exception error, bool probe, bool cancelledByCaller)
    {
        if (cancelledByCaller)
        {
            // Abandoned (a stop, the item's deadline): nothing was learned, and a probe goes to the next attempt.
            Release(probe);
            return Verdict.Fine;
        }

        return Record(RetryClassifier.IsUnreachable(error) ? Verdict.Unusable : Verdict.Failure, probe, refusedKey: false);
    }

    /// <summary>A 5xx other than overload is a failure; a refused key makes the endpoint unusable; anything else says it is alive.</summary>
    public static Verdict Judge(int status) => status switch
    {
        401 or 403 => Verdict.Unusable,
        503 or 529 => Verdict.Fine,
        >= 500 => Verdict.Failure,
        _ => Verdict.Fine,
    };

    private Verdict Record(Verdict verdict, bool probe, bool refusedKey)
    {
        lock (_lock)
        {
            if (verdict == Verdict.Fine)
            {
                if (probe || !_out)
                {
                    // Alive: a probe's answer brings the endpoint back.
                    _out = _probing = false;
                    _failuresInARow = 0;
                    _breaks = 0;
                }

                return verdict;
            }

            if (_out && !probe)
            {
                // Attempts that were on the wire when it went out end as expected: no new verdict.
                return verdict;
            }

            _failuresInARow++;
            if (probe || verdict == Verdict.Unusable || _failuresInARow >= options.FailureThreshold)
            {
                // A key does not mend itself in seconds: a refused one waits the longest break at once.
                var ticks = refusedKey ? options.MaxBreakDuration.Ticks : options.BreakDuration.Ticks * Math.Pow(2, Math.Min(_breaks, 30));
                var duration = TimeSpan.FromTicks((long)Math.Min(ticks, options.MaxBreakDuration.Ticks));
                _breaks++;
                _out = true;
                _probing = false;
                _outUntil = time.GetTimestamp() + (long)(duration.TotalSeconds * time.TimestampFrequency);
                Interlocked.Increment(ref _timesOut);
            }

            return verdict;
        }
    }
}

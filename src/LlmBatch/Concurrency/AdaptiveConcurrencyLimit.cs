using Microsoft.Extensions.Logging;

namespace LlmBatch.Concurrency;

/// <summary>
/// How many attempts may be on the wire at once, found from what the server does rather than configured.
/// Servers that send no rate-limit headers (vLLM, Ollama, llama.cpp, TGI, LM Studio, gateways) are bound by their
/// processing slots, not by a budget: past them they queue (latency grows, throughput does not) or refuse (503, 529,
/// a 429 without headers). This finds the concurrency of highest goodput and holds it.
/// Over 400 lines because it does one job, one control loop: slow start, the cuts on refusal and the throughput
/// gradient read and write the same limit, threshold and window history on every answer, and the rules below only
/// make sense together (every cut, for a refusal or for queueing, ends slow start where it cuts to, and growth slows
/// near the level of the last refusal); a quarter of the file is the algorithm's description and the reasons for its
/// constants.
/// </summary>
/// <remarks>
/// <para>
/// The algorithm is TCP Reno's AIMD on overload answers, with one addition from delay-based congestion control
/// (TCP Vegas, Netflix concurrency-limits' Gradient) for servers that queue instead of refusing:
/// </para>
/// <list type="bullet">
/// <item><b>Slow start.</b> From <see cref="DefaultInitialLimit"/>, every success while the limit is full adds half a
/// slot, so the limit grows by half every round trip and new requests are clocked by answers, never sent in a blind
/// burst.</item>
/// <item><b>Overload: multiplicative decrease.</b> A refusal (see <see cref="OnOverload"/>) cuts the limit to
/// <see cref="OverloadBackoff"/> of the concurrency at which the server refused, once per round trip: refusals of
/// requests sent before the cut say nothing new. A factor of 0.9 rather than TCP's 0.5 keeps a 32-slot server at
/// 29 to 33 requests (about 97 % busy) at the cost of one refusal every few round trips.</item>
/// <item><b>Additive increase.</b> After slow start the limit grows by half its square root per round trip of successes
/// (one slot at 4, five at 100), and by a quarter of that just below the level of the last refusal (TCP CUBIC's
/// plateau).</item>
/// <item><b>Queueing: throughput gradient.</b> Attempts are grouped by when they start, about half a round trip's
/// worth to a <see cref="ConcurrencyWindow"/>; once a group has come back it gives the concurrency its attempts
/// started at and their mean latency, so goodput at that concurrency is <c>X(c) = c / R(c)</c> (Little's law).
/// Counting successes per second instead lags a growing limit by a round trip (they answer requests sent at the
/// lower level of the round trip before), which makes a server look as if it had stopped scaling. When the goodput
/// at the current level grew less than half as fast as the concurrency since a level at least
/// <see cref="ReferenceRatio"/> lower (an elasticity below <see cref="MinimumGain"/>), the extra requests only
/// queued: the limit goes back to the least concurrency measured to reach <see cref="KneeGoodputShare"/> of this
/// goodput, and at least by <see cref="QueueingBackoff"/>. Comparing goodput rather than latency makes the test
/// independent of how much a server's latency grows below its knee (continuous batching makes each token a little
/// slower with every sequence, long before the knee), and of answer lengths: the elasticity is about 1 below the
/// knee and about 0 past it.</item>
/// </list>
/// <para>
/// A server that sends rate-limit headers is paced by its budgets instead (<see cref="OnBudgetKnown"/>): the limit
/// opens to the maximum and only overload answers cut it. Not thread-safe: the owner serialises access.
/// </para>
/// </remarks>
internal sealed class AdaptiveConcurrencyLimit
{
    /// <summary>
    /// The limit a run starts at: requests sent before the first answer says anything about the server. Like TCP's
    /// initial window of ten segments, small enough that no real server is overrun, large enough that slow start
    /// reaches a 256-slot server in seven round trips.
    /// </summary>
    internal const int DefaultInitialLimit = 16;

    /// <summary>After a refusal the limit drops to this share of the concurrency the server refused at.</summary>
    internal const double OverloadBackoff = 0.9;

    /// <summary>After the curve shows queueing the limit drops at least to this share.</summary>
    internal const double QueueingBackoff = 0.8;

    /// <summary>The least elasticity of goodput to concurrency that still counts as gain.</summary>
    internal const double MinimumGain = 0.35;

    /// <summary>A level is judged against a measured level at least this ratio below it.</summary>
    internal const double ReferenceRatio = 1.2;

    /// <summary>After a queueing cut the limit goes back to the least concurrency that reached this share of the goodput.</summary>
    internal const double KneeGoodputShare = 0.95;

    /// <summary>Measurements older than this are not used: the server may have changed since.</summary>
    private static readonly TimeSpan s_maxAge = TimeSpan.FromSeconds(60);

    /// <summary>Start groups still waiting for their answers, at most; older ones are dropped unjudged.</summary>
    private const int OpenWindows = 32;

    /// <summary>Successes each side of a judgment pools at least.</summary>
    private const int PoolSamples = 16;

    /// <summary>Slow start ends when a group's fastest answer is this many times the fastest seen.</summary>
    private const double SlowStartExitDelay = 1.5;

    /// <summary>Judged groups kept as references.</summary>
    private const int HistoryLength = 64;

    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly int _max;
    private readonly int? _fixed;
    private readonly ConcurrencyTimeline _timeline = new();
    private readonly ConcurrencyWindow[] _open = new ConcurrencyWindow[OpenWindows];
    private readonly ConcurrencyWindow.Result[] _history = new ConcurrencyWindow.Result[HistoryLength];
    private int _openNext;
    private int _historyCount;
    private int _historyNext;

    private double _limit;
    private double _slowStartThreshold = double.PositiveInfinity;
    private double _refusedAt;
    private bool _budgetPaced;
    private long _sequence;
    private long _cutAfter;
    private int _inFlight;
    private int _lowGain;
    private double _fastest;
    private int _slowGroups;
    private long _fastestAt;
    private long _cuts;
    private long _lastEvent;
    private double _area;
    private long _ends;
    private long _successTotal;

    /// <summary>Creates the limit.</summary>
    /// <param name="timeProvider">The clock for the latency curve and the timeline.</param>
    /// <param name="maximum">The upper bound (<see cref="BatchOptions.MaxConcurrency"/>).</param>
    /// <param name="fixedLimit">A limit that never changes (<see cref="BatchOptions.Concurrency"/>), or null to adapt.</param>
    /// <param name="initial">Where an adaptive limit starts (default <see cref="DefaultInitialLimit"/>).</param>
    /// <param name="logger">Told (at debug level) each time the limit is cut, and why.</param>
    public AdaptiveConcurrencyLimit(TimeProvider timeProvider, int maximum, int? fixedLimit = null, int initial = DefaultInitialLimit, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(maximum, 1);
        _time = timeProvider;
        _logger = logger;
        _max = maximum;
        _fixed = fixedLimit is { } f ? Math.Clamp(f, 1, maximum) : null;
        _limit = Math.Clamp(initial, 1, maximum);
        _lastEvent = timeProvider.GetTimestamp();
        for (var i = 0; i < OpenWindows; i++)
        {
            _open[i] = new ConcurrencyWindow();
        }

        _open[0].Open(1);
    }

    /// <summary>The number of attempts allowed on the wire now.</summary>
    public int Limit => _fixed ?? Math.Clamp((int)_limit, 1, _max);

    /// <summary>Attempts on the wire now.</summary>
    public int InFlight => _inFlight;

    /// <summary>True while another attempt may start.</summary>
    public bool HasRoom => _inFlight < Limit;

    /// <summary>True when the limit adapts (no fixed concurrency was given).</summary>
    public bool IsAdaptive => _fixed is null;

    /// <summary>How many times the limit was cut for overload or queueing.</summary>
    public long Cuts => _cuts;

    /// <summary>The limit, the concurrency and the goodput, second by second (at most a few thousand points).</summary>
    public ConcurrencyTimeline Timeline => _timeline;

    /// <summary>Opens the limit to the maximum: the server publishes budgets, which pace the run instead.</summary>
    public void OnBudgetKnown()
    {
        if (_budgetPaced || _fixed is not null)
        {
            return;
        }

        _budgetPaced = true;
        _limit = _max;
        _slowStartThreshold = _max;
    }

    /// <summary>
    /// The attempts on the wire integrated over time, in attempt-seconds: the difference between an attempt's end and
    /// its start, over its duration, is the mean concurrency it ran at.
    /// </summary>
    public double InFlightArea => _area;

    /// <summary>An attempt starts.</summary>
    /// <returns>Its sequence number, which its outcome hands back with <see cref="InFlightArea"/> as it was just after.</returns>
    public long OnStart()
    {
        var now = Advance();
        _inFlight++;
        _timeline.Observe(_time, now, Limit, _inFlight, successes: 0);
        var sequence = ++_sequence;
        if (_fixed is null)
        {
            var window = _open[_openNext];
            window.Start(Limit);
            if (window.Starts >= Math.Max(ConcurrencyWindow.MinStarts, Limit / 2))
            {
                // Closed to new starts; judged when its answers are back. The next slot's group, if still waiting, is dropped.
                window.Close(sequence);
                _openNext = (_openNext + 1) % OpenWindows;
                _open[_openNext].Open(sequence + 1);
            }
        }

        return sequence;
    }

    /// <summary>An attempt got a useful answer (a 2xx).</summary>
    /// <param name="sequence">The attempt's <see cref="OnStart"/> number.</param>
    /// <param name="areaAtStart">The <see cref="InFlightArea"/> just after it started.</param>
    /// <param name="latency">How long it took on the wire.</param>
    public void OnSuccess(long sequence, double areaAtStart, TimeSpan latency)
    {
        var now = Advance();
        var wasFull = _inFlight >= Limit;
        _inFlight = Math.Max(0, _inFlight - 1);
        _timeline.Observe(_time, now, Limit, _inFlight, successes: 1);
        if (_fixed is not null)
        {
            return;
        }

        if (wasFull && _limit < _max)
        {
            // Growth only while the limit is what holds requests back; an idle limit proves nothing.
            _limit = Math.Min(_max, _limit + GrowthPerSuccess());
        }

        Ended(sequence, now, Concurrency(areaAtStart, latency), latency, overload: false);
    }

    /// <summary>The server refused an attempt for lack of capacity (a fast 503, 529 or header-less 429).</summary>
    /// <param name="sequence">The attempt's <see cref="OnStart"/> number.</param>
    /// <param name="concurrencyAtStart">Attempts on the wire when it started, itself included.</param>
    public void OnOverload(long sequence, int concurrencyAtStart)
    {
        var now = Advance();
        _inFlight = Math.Max(0, _inFlight - 1);
        _timeline.Observe(_time, now, Limit, _inFlight, successes: 0);
        if (_fixed is null)
        {
            Ended(sequence, now, concurrencyAtStart, null, overload: true);
        }

        if (_fixed is null && sequence > _cutAfter)
        {
            // The server refused at this concurrency: that is its capacity now, whatever the limit had grown to.
            var level = Math.Min(_limit, concurrencyAtStart);
            _refusedAt = level;
            Cut(level * OverloadBackoff, "a refusal", concurrencyAtStart);
        }
    }

    /// <summary>An attempt ended any other way (a failure, a rate-limit answer, no answer at all).</summary>
    /// <param name="sequence">The attempt's <see cref="OnStart"/> number.</param>
    /// <param name="areaAtStart">The <see cref="InFlightArea"/> just after it started.</param>
    /// <param name="duration">How long it was on the wire.</param>
    public void OnOtherOutcome(long sequence, double areaAtStart, TimeSpan duration)
    {
        var now = Advance();
        _inFlight = Math.Max(0, _inFlight - 1);
        _timeline.Observe(_time, now, Limit, _inFlight, successes: 0);
        if (_fixed is null)
        {
            Ended(sequence, now, Concurrency(areaAtStart, duration), null, overload: false);
        }
    }

    /// <summary>Integrates the attempts on the wire up to now.</summary>
    private long Advance()
    {
        var now = _time.GetTimestamp();
        if (now > _lastEvent)
        {
            _area += _inFlight * ((now - _lastEvent) / (double)_time.TimestampFrequency);
            _lastEvent = now;
        }

        return now;
    }

    /// <summary>The mean concurrency an attempt ran at: the area it saw over its duration (the concurrency now when it took no time).</summary>
    private double Concurrency(double areaAtStart, TimeSpan duration) =>
        duration.TotalSeconds > 1e-6 ? Math.Max(1, (_area - areaAtStart) / duration.TotalSeconds) : Math.Max(1, _inFlight + 1);

    /// <summary>Adds an outcome to the start group of its attempt, and judges the group once its answers are back.</summary>
    private void Ended(long sequence, long now, double concurrency, TimeSpan? latency, bool overload)
    {
        _ends++;
        if (latency is not null)
        {
            _successTotal++;
        }

        for (var i = 0; i < OpenWindows; i++)
        {
            var window = _open[(_openNext - i + OpenWindows) % OpenWindows];
            if (!window.Contains(sequence))
            {
                continue;
            }

            window.End(concurrency, latency, overload);
            if (window.ReadyToJudge)
            {
                window.MarkJudged();
                if (window.TryResult(now, _ends == 0 ? 1 : (double)_successTotal / _ends, out var result))
                {
                    Judge(result, straddlesCut: window.First <= _cutAfter);
                }
            }

            return;
        }
    }

    /// <summary>
    /// Slow start adds half a slot per success (the limit grows by half every round trip: a server's last slot is
    /// overrun by at most half its slots, where doubling would overrun it by all of them when answers come in a
    /// wave). Afterwards half the square root of the limit per round trip, and a quarter of that from the level a
    /// refusal cut to up to the level refused at, so a server held at its capacity is probed for more room only every
    /// few seconds (TCP CUBIC's plateau).
    /// </summary>
    private double GrowthPerSuccess()
    {
        if (_limit < _slowStartThreshold)
        {
            return 0.5;
        }

        // Half the square root of the limit a round trip: one slot at 4, five at 100, so a limit cut far from the
        // knee of a large server climbs back in seconds, not minutes (Gradient2 grows by the square root too).
        var step = Math.Max(1, Math.Sqrt(_limit) / 2) / _limit;
        return _limit >= _refusedAt * 0.85 && _limit < _refusedAt + 1 ? step / 4 : step;
    }

    /// <summary>
    /// Keeps a judged group as a reference and, when it shows that concurrency past a lower level bought no goodput,
    /// cuts the limit. Groups that started before the last cut ran in a busier server than their own level: they are
    /// neither judged nor kept.
    /// </summary>
    private void Judge(in ConcurrencyWindow.Result result, bool straddlesCut)
    {
        if (straddlesCut)
        {
            return;
        }

        _logger?.LogTrace("Group: {Concurrency:0.#} in flight, {Goodput:0.#}/s, {Latency:0} ms (fastest {Fastest:0} ms), binding {Binding}, {Overloads} refusals (limit {Limit:0.#}).", result.Concurrency, result.Goodput, result.MeanLatencySeconds * 1000, result.MinLatencySeconds * 1000, result.Binding, result.Overloads, _limit);
        EndSlowStartOnQueueing(result);
        _history[_historyNext] = result;
        _historyNext = (_historyNext + 1) % HistoryLength;
        _historyCount = Math.Min(HistoryLength, _historyCount + 1);

        // Judged only where the limit held requests back (a budget-paced run far below its limit is not queueing
        // for lack of slots) and where nothing was refused (refusals are judged on their own).
        if (!result.Binding || result.Overloads > 0 || FindReference(result) is not { } reference)
        {
            return;
        }

        // Real latencies scatter (first-token jitter, answers of every length): one group's mean is too noisy to judge
        // a step of a fifth, so each side pools the recent groups around its level.
        var now = Pool(result.Concurrency, result.At);
        var then = Pool(reference.Concurrency, result.At);
        if (now.Successes < PoolSamples || then.Successes < PoolSamples || now.Concurrency < then.Concurrency * 1.1)
        {
            return;
        }

        var elasticity = Math.Log(now.Goodput / then.Goodput) / Math.Log(now.Concurrency / then.Concurrency);
        if (elasticity >= MinimumGain)
        {
            _lowGain = 0;
            return;
        }

        // Two judgments in a row, half a round trip apart, before a cut: one unlucky group must not cost the run.
        if (++_lowGain < 2)
        {
            return;
        }

        // The extra requests only queued. Go back to the least concurrency measured to reach nearly this goodput
        // (a slow start that ran far past the knee comes back in one step), at least a QueueingBackoff cut and at
        // most a halving: one lucky group at a low level must not drag the limit down with it.
        var least = LeastConcurrencyFor(now.Goodput * KneeGoodputShare, result.At);
        Cut(Math.Clamp(least, _limit / 2, _limit * QueueingBackoff), $"goodput elasticity {elasticity:0.00} ({now.Goodput:0.#}/s at {now.Concurrency:0.#} against {then.Goodput:0.#}/s at {then.Concurrency:0.#})", result.Concurrency);
    }

    /// <summary>
    /// Slow start ends (the limit grows by one slot a round trip from then on) once a group's fastest answer is half as
    /// slow again as the fastest seen: requests have begun to wait in a queue, every one of them (TCP CUBIC's HyStart
    /// reads the same sign). Judging goodput needs a few groups at each level, and a slow start that waited for them
    /// ran a queueing server to eight times its slots.
    /// </summary>
    private void EndSlowStartOnQueueing(in ConcurrencyWindow.Result result)
    {
        if (double.IsInfinity(result.MinLatencySeconds))
        {
            return;
        }

        if (_fastest == 0 || _time.GetElapsedTime(_fastestAt, result.At) > s_maxAge || result.MinLatencySeconds < _fastest)
        {
            _fastest = result.MinLatencySeconds;
            _fastestAt = result.At;
            _slowGroups = 0;
            return;
        }

        if (result.MinLatencySeconds <= SlowStartExitDelay * _fastest)
        {
            _slowGroups = 0;
        }

        // Twice in a row: the fastest of a group scatters with the first-token jitter, and one lucky group sets a low floor.
        if (_limit < _slowStartThreshold && result.MinLatencySeconds > SlowStartExitDelay * _fastest && ++_slowGroups >= 2)
        {
            _logger?.LogDebug("Slow start ends at {Limit:0.#}: the fastest answers take {Now:0} ms against {Fastest:0} ms (queueing).", _limit, result.MinLatencySeconds * 1000, _fastest * 1000);
            _slowStartThreshold = _limit;
        }
    }

    /// <summary>The recent usable groups within 15 % of <paramref name="concurrency"/>, pooled: their mean concurrency, goodput and successes.</summary>
    private Pooled Pool(double concurrency, long now)
    {
        var oldest = now - (long)(s_maxAge.TotalSeconds * _time.TimestampFrequency);
        double concurrencySum = 0, latencySum = 0;
        long successes = 0, ended = 0;
        for (var i = 1; i <= _historyCount; i++)
        {
            ref readonly var g = ref _history[(_historyNext - i + HistoryLength) % HistoryLength];
            if (g.At < oldest)
            {
                break;
            }

            if (g.Binding && g.Overloads == 0 && Math.Abs(g.Concurrency - concurrency) <= 0.15 * concurrency)
            {
                concurrencySum += g.Concurrency * g.Ended;
                latencySum += g.MeanLatencySeconds * g.Successes;
                successes += g.Successes;
                ended += g.Ended;
            }
        }

        if (successes == 0 || ended == 0)
        {
            return default;
        }

        var c = concurrencySum / ended;
        return new Pooled(c, c / (latencySum / successes) * successes / ended, successes);
    }

    /// <summary>Groups pooled around one level.</summary>
    private readonly record struct Pooled(double Concurrency, double Goodput, long Successes);

    /// <summary>The most recent usable group at least <see cref="ReferenceRatio"/> below this one.</summary>
    private ConcurrencyWindow.Result? FindReference(in ConcurrencyWindow.Result result)
    {
        var oldest = result.At - (long)(s_maxAge.TotalSeconds * _time.TimestampFrequency);
        for (var i = 2; i <= _historyCount; i++)
        {
            ref readonly var candidate = ref _history[(_historyNext - i + HistoryLength) % HistoryLength];
            if (candidate.At < oldest)
            {
                return null;
            }

            if (candidate.Binding && candidate.Overloads == 0 && candidate.Concurrency * ReferenceRatio <= result.Concurrency)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The smallest concurrency among recent usable groups whose goodput reached <paramref name="goodput"/>.</summary>
    private double LeastConcurrencyFor(double goodput, long now)
    {
        var oldest = now - (long)(s_maxAge.TotalSeconds * _time.TimestampFrequency);
        var least = double.PositiveInfinity;
        for (var i = 1; i <= _historyCount; i++)
        {
            ref readonly var g = ref _history[(_historyNext - i + HistoryLength) % HistoryLength];
            if (g.At < oldest)
            {
                break;
            }

            if (g.Overloads == 0 && g.Goodput >= goodput && g.Concurrency < least)
            {
                least = g.Concurrency;
            }
        }

        return least;
    }

    private void Cut(double to, string why, double at)
    {
        _logger?.LogDebug("Concurrency limit cut from {From:0.#} to {To:0.#} after {Why} at {At:0.#} in flight.", _limit, Math.Max(1, to), why, at);
        _limit = Math.Max(1, to);
        _slowStartThreshold = _limit;
        _cutAfter = _sequence;
        _lowGain = 0;
        _cuts++;
    }
}

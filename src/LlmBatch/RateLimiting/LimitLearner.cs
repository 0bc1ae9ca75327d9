using Microsoft.Extensions.Logging;

namespace LlmBatch.RateLimiting;

/// <summary>
/// One budget of a run, requests or tokens: its rate and burst, taken from a flag, learned from the
/// <c>x-ratelimit-*</c> headers, and corrected by what 429s and the headers prove. Owns the <see cref="TokenBudget"/>
/// that admission draws on (null while the limit is unknown or there is none). Not thread-safe: the owner serialises access.
/// </summary>
/// <remarks>
/// <para>
/// <b>The enforcement window, not the headline.</b> OpenAI's headers give the per-minute limit and the per-minute
/// <c>remaining</c>, but the limit is enforced over much shorter windows ("60,000 requests/minute may be enforced as
/// 1,000 requests/second"). Learning the burst as <c>remaining + rate × reset</c> (a minute's worth) let 256
/// requests out at once against a server that admits one second's worth: 73 % of requests were answered 429 and
/// 860 of 3,000 items failed. So a learned budget starts with a burst of <see cref="InitialBurstSeconds"/> of its
/// rate, never more than <see cref="MaxBurstSeconds"/>, and smaller still when the headers describe a smaller bucket
/// (<c>remaining + rate × reset</c> below a second's worth). A 429 while the books still showed budget proves a
/// shorter window: the burst halves and the bucket empties. While no 429 comes the burst grows back by
/// <see cref="BurstGrowth"/> every <see cref="GrowthInterval"/>. For a batch the burst matters only at the start and
/// after a pause; the rate decides the run.
/// </para>
/// <para>
/// <b>The rate.</b> The refill rate is the flag or the header's limit, whichever is lower, times a margin, less the
/// spend of others on the same key. The margin drops by <see cref="MarginCut"/> on a 429 (once per cut: refusals of
/// requests admitted before the last cut say nothing new) and grows back by
/// <see cref="MarginGrowth"/> each quiet interval: windows the client cannot see (fixed one-second windows that
/// an exact pace overruns by one request now and then) settle a few per cent below the limit.
/// </para>
/// <para>
/// <b>Others on the key.</b> Between two answers at least a second apart, the server's <c>remaining</c> should have
/// moved by its refill less what this run sent. When it fell further, the difference per second is what others
/// spent; the rate yields that share (smoothed, with a 10 % allowance) before their spend drains the short window
/// and 429s begin. Only intervals in which the server's bucket stayed below full count, since a full bucket
/// discards refill and would pass for someone else's spend.
/// </para>
/// </remarks>
internal sealed class LimitLearner
{
    /// <summary>A learned budget's burst at first, in seconds of its rate: a fraction of the one second that OpenAI's quantised windows admit.</summary>
    internal const double InitialBurstSeconds = 0.25;

    /// <summary>The largest burst, in seconds of the rate: OpenAI enforces per-minute limits as per-second quanta.</summary>
    internal const double MaxBurstSeconds = 1.0;

    /// <summary>The burst grows by this factor every quiet <see cref="GrowthInterval"/>.</summary>
    internal const double BurstGrowth = 1.25;

    /// <summary>Each 429 multiplies the rate margin by this.</summary>
    internal const double MarginCut = 0.95;

    /// <summary>The margin grows back by this much of the limit every quiet <see cref="GrowthInterval"/>.</summary>
    internal const double MarginGrowth = 0.01;

    /// <summary>The margin never drops below this share of the limit.</summary>
    internal const double MarginFloor = 0.5;

    /// <summary>How long without a 429 before the burst and the margin grow back a step.</summary>
    internal static readonly TimeSpan GrowthInterval = TimeSpan.FromSeconds(2);

    /// <summary>Headers at least this far apart are compared to see what others spent.</summary>
    private static readonly TimeSpan s_othersInterval = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly string _what;
    private readonly double? _flag;
    private readonly bool _learn;
    private readonly double _jitterSeconds;

    private double? _serverRate;
    private double _serverCapacity;
    private double _measuredCapacity;
    private double _burstSeconds;
    private double _maxBurstSeconds = MaxBurstSeconds;
    private double _margin = 1;
    private double _others;
    private long _lastCut = long.MinValue;
    private long _lastGrowth;
    private long _rejected;
    private Sample? _anchor;

    /// <summary>Creates the learner for one budget.</summary>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="what">"requests" or "tokens", for the log.</param>
    /// <param name="flagPerMinute">The limit given as a flag, or null.</param>
    /// <param name="learn">Whether headers and 429s adjust the budget (<see cref="BatchOptions.LearnLimitsFromHeaders"/>).</param>
    /// <param name="jitterAllowanceSeconds">How far below the server's bucket the burst is kept, in seconds of the rate.</param>
    /// <param name="logger">Told when a limit is learned or changes.</param>
    public LimitLearner(TimeProvider timeProvider, string what, double? flagPerMinute, bool learn, double jitterAllowanceSeconds, ILogger? logger)
    {
        _time = timeProvider;
        _what = what;
        _learn = learn;
        _logger = logger;
        _jitterSeconds = jitterAllowanceSeconds;
        _flag = flagPerMinute is > 0 and var f && double.IsFinite(f) ? f / 60 : null;
        _lastGrowth = timeProvider.GetTimestamp();

        // A flag is the user's word for the server's per-minute budget and its usual one-second quantum.
        _burstSeconds = _flag is null ? InitialBurstSeconds : Usable(MaxBurstSeconds);
        if (_flag is not null)
        {
            Apply();
        }
    }

    /// <summary>The bucket admission draws on; null while the limit is unknown or there is none.</summary>
    public TokenBudget? Budget { get; private set; }

    /// <summary>The limit in force, per minute (the flag or the header, less margin and others' share); null when unknown.</summary>
    public double? PerMinute => Budget?.RatePerSecond * 60;

    /// <summary>The spend of others on the same key, per second, as the headers show it.</summary>
    public double OthersPerSecond => _others;

    private double? BaseRate => (_flag, _serverRate) switch
    {
        ({ } f, { } s) => Math.Min(f, s),
        ({ } f, null) => f,
        (null, { } s) => s,
        _ => null,
    };

    /// <summary>
    /// Learns from one answer's headers for this budget.
    /// </summary>
    /// <param name="limit">The per-minute limit header.</param>
    /// <param name="remaining">The remaining header.</param>
    /// <param name="reset">The reset header: until the server's bucket is full again.</param>
    /// <param name="sentThrough">What this run had sent in all, this attempt included, when it was admitted.</param>
    /// <param name="sentSince">What this run sent after this attempt (the server counts it too by now).</param>
    /// <param name="admittedAt">When this attempt was admitted.</param>
    /// <param name="now">Now.</param>
    public void OnHeaders(long? limit, long? remaining, TimeSpan? reset, long sentThrough, long sentSince, long admittedAt, long now)
    {
        if (!_learn || (limit is null && remaining is null))
        {
            return;
        }

        if (limit is > 0 and var l)
        {
            _serverCapacity = l;
            var rate = l / 60.0;
            if (_serverRate is null)
            {
                _logger?.LogInformation("Learned a limit of {Limit:0} {What} per minute from response headers.", l, _what);
                _serverRate = rate;
            }
            else if (Math.Abs(_serverRate.Value - rate) > 1e-9)
            {
                _logger?.LogInformation("The {What} limit changed from {Old:0} to {New:0} per minute.", _what, _serverRate.Value * 60, l);
                _serverRate = rate;
            }
        }

        if (BaseRate is not { } baseRate)
        {
            // A remaining count without a limit (Azure): the refill rate is unknown, so the budget stays open.
            return;
        }

        var refill = _serverRate ?? baseRate;
        if (remaining is { } left && reset is { } untilFull && _serverRate is not null)
        {
            // Headers that describe the enforced bucket itself (remaining plus refill until full below a second's
            // worth) bound the burst; per-minute headers (a minute's worth) leave it at MaxBurstSeconds.
            _measuredCapacity = Math.Max(_measuredCapacity, left + (refill * untilFull.TotalSeconds));
            _maxBurstSeconds = Math.Clamp(_measuredCapacity / refill, 1.0 / refill, MaxBurstSeconds);
        }

        if (remaining is { } r)
        {
            EstimateOthers(r, refill, sentThrough, admittedAt);
        }

        Grow(now);
        Apply();
        if (remaining is { } rem)
        {
            // What the server had when it answered, plus its refill since, minus what was sent after this request:
            // an upper bound of its level now, so the client never believes it has more.
            var elapsed = _time.GetElapsedTime(admittedAt, now).TotalSeconds;
            Budget!.Correct(Math.Min(Budget.Capacity, rem + (refill * elapsed) - sentSince));
        }
    }

    /// <summary>
    /// A refused attempt. The server charged it to no budget, which the estimate of others' spend must know. When
    /// <paramref name="cut"/> (a 429 that names this budget, or names none): the bucket empties, and unless the burst
    /// and margin were already cut for a request admitted after this one, they are cut now.
    /// </summary>
    /// <param name="admittedAt">When the refused attempt was admitted.</param>
    /// <param name="cost">What the refused attempt would have cost this budget.</param>
    /// <param name="now">Now.</param>
    /// <param name="cut">Whether the refusal was this budget running out.</param>
    public void OnRateLimited(long admittedAt, long cost, long now, bool cut)
    {
        _rejected += cost;
        if (!cut || !_learn || Budget is null)
        {
            return;
        }

        if (admittedAt > _lastCut)
        {
            _lastCut = now;
            _lastGrowth = now;
            _burstSeconds = Math.Max(MinBurstSeconds, _burstSeconds / 2);
            _margin = Math.Max(MarginFloor, _margin * MarginCut);
            Apply();
        }

        // The server's bucket is empty whatever the books said.
        Budget.Correct(0);
    }

    /// <summary>The smallest burst: one unit of the rate, never less than a twentieth of a second.</summary>
    private double MinBurstSeconds => BaseRate is { } r ? Math.Max(0.05, 1 / r) : 0.05;

    /// <summary>The server's capacity less the jitter allowance (never below half of it).</summary>
    private double Usable(double seconds) => Math.Max(seconds / 2, seconds - _jitterSeconds);

    /// <summary>One step back towards the full burst and rate per quiet <see cref="GrowthInterval"/> (a cut restarts the interval).</summary>
    private void Grow(long now)
    {
        if (_time.GetElapsedTime(_lastGrowth, now) < GrowthInterval)
        {
            return;
        }

        _lastGrowth = now;
        _burstSeconds = Math.Min(Usable(_maxBurstSeconds), _burstSeconds * BurstGrowth);
        _margin = Math.Min(1, _margin + MarginGrowth);
    }

    private void EstimateOthers(long remaining, double refill, long sentThrough, long admittedAt)
    {
        // The bucket that remaining counts: its measured size (remaining plus refill until full) when the reset header
        // gives it, else the per-minute limit. Only a bucket of many seconds' refill (OpenAI's per-minute headers)
        // moves slowly enough to read others' spend from; a one-second bucket fills and drains between two answers.
        var capacity = _measuredCapacity > 0 ? _measuredCapacity : _serverCapacity;
        if (capacity < 10 * refill)
        {
            return;
        }

        var ours = sentThrough - _rejected;
        if (_anchor is not { } anchor)
        {
            _anchor = new Sample(admittedAt, remaining, ours);
            return;
        }

        var dt = _time.GetElapsedTime(anchor.At, admittedAt);
        if (dt < s_othersInterval)
        {
            return;
        }

        _anchor = new Sample(admittedAt, remaining, ours);
        var seconds = dt.TotalSeconds;
        var oursPerSecond = (ours - anchor.Ours) / seconds;
        var expected = anchor.Remaining + (refill * seconds) - (ours - anchor.Ours);
        if (expected >= capacity - 1 || remaining >= capacity - 1)
        {
            // The bucket may have reached full in between and discarded refill (this run sent less than the refill),
            // so the fall cannot be read; it only shows that others spend at most what this run left of the refill.
            _others = Math.Min(_others, Math.Max(0, refill - oursPerSecond));
            return;
        }

        var spent = Math.Max(0, (expected - remaining) / seconds);
        var before = _others;
        _others = (_others + spent) / 2;
        if (Math.Abs(_others - before) > 0.05 * refill)
        {
            _logger?.LogDebug(
                "Others on the key spend about {Others:0} {What} per minute: the remaining header moved from {From} to {To} in {Seconds:0.00} s while this run sent {Ours}.",
                _others * 60, _what, anchor.Remaining, remaining, seconds, ours - anchor.Ours);
        }
    }

    /// <summary>Sets the budget's rate and burst from the learned state.</summary>
    private void Apply()
    {
        if (BaseRate is not { } baseRate)
        {
            return;
        }

        // Others' spend is yielded with a 10 % allowance; the rate never drops below a twentieth of the limit.
        var rate = Math.Max(baseRate * 0.05, (baseRate * _margin) - (_others * 1.1));
        var capacity = Math.Max(1, rate * Math.Min(_burstSeconds, Usable(_maxBurstSeconds)));
        if (Budget is null)
        {
            Budget = new TokenBudget(_time, rate, capacity);
            return;
        }

        if (Math.Abs(Budget.RatePerSecond - rate) > 1e-9)
        {
            Budget.SetRate(rate);
        }

        if (Math.Abs(Budget.Capacity - capacity) > 1e-9)
        {
            Budget.SetCapacity(capacity);
        }
    }

    /// <summary>The server's remaining at one admission, and what this run had sent (and not had refused) by then.</summary>
    private readonly record struct Sample(long At, double Remaining, long Ours);
}

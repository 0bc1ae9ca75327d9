using LlmBatch.RateLimiting;

namespace LlmBatch.Tests.TestSupport.Servers;

/// <summary>
/// OpenAI's request limit as its rate-limit guide describes it: headers on the per-minute scale (limit, remaining,
/// reset of a bucket holding a minute's worth), enforcement over a much shorter window, either a bucket holding one
/// window's worth or fixed windows counted from the clock. A neighbour on the same key may spend a share of the rate
/// throughout. Refusals come back at once with a 429, the minute-scale headers and OpenAI's "try again in" message.
/// </summary>
internal sealed class QuantizedRateServer : IScriptedServer
{
    private readonly PriorityQueue<SimAttempt, DateTimeOffset> _pending = new();
    private readonly double _rate;
    private readonly long _limit;
    private readonly double _window;
    private readonly bool _fixedWindows;
    private readonly bool _minuteHeaders;
    private readonly double _others;
    private readonly TimeSpan _latency;
    private readonly DateTimeOffset _origin;
    private double _minute;
    private double _short;
    private double _last;
    private long _windowIndex = -1;
    private int _windowCount;

    public QuantizedRateServer(DateTimeOffset origin, long requestsPerMinute, TimeSpan window, TimeSpan latency, bool fixedWindows = false, bool minuteHeaders = true, double neighbourShare = 0)
    {
        _origin = origin;
        _limit = requestsPerMinute;
        _rate = requestsPerMinute / 60.0;
        _window = window.TotalSeconds;
        _fixedWindows = fixedWindows;
        _minuteHeaders = minuteHeaders;
        _others = _rate * neighbourShare;
        _latency = latency;
        _minute = requestsPerMinute;
        _short = _rate * _window;
    }

    public long Admitted { get; private set; }

    public long Refused { get; private set; }

    public void Arrive(SimAttempt attempt, DateTimeOffset now)
    {
        var t = (now - _origin).TotalSeconds;
        Refill(t);
        bool admitted;
        TimeSpan wait;
        if (_fixedWindows)
        {
            var index = (long)Math.Floor(t / _window);
            if (index != _windowIndex)
            {
                _windowIndex = index;
                _windowCount = 0;
            }

            // The neighbour's requests of this window so far, spread evenly over it.
            var neighbour = _others * (t - (index * _window));
            admitted = _windowCount + neighbour + 1 <= (_rate * _window) + 1e-9 && _minute >= 1;
            wait = TimeSpan.FromSeconds(((index + 1) * _window) - t);
        }
        else
        {
            admitted = _short >= 1 - 1e-9 && _minute >= 1;
            wait = TimeSpan.FromSeconds(Math.Max(0.001, (1 - _short) / (_rate - _others)));
        }

        if (admitted)
        {
            Admitted++;
            _windowCount++;
            _short -= 1;
            _minute -= 1;
            attempt.Response = Responses.Ok(Headers());
            attempt.DueAt = now + _latency;
        }
        else
        {
            Refused++;
            attempt.Response = Responses.RateLimited("requests", wait, Headers());
            attempt.DueAt = now + TimeSpan.FromMilliseconds(1);
        }

        _pending.Enqueue(attempt, attempt.DueAt);
    }

    public IEnumerable<SimAttempt> Due(DateTimeOffset now)
    {
        while (_pending.TryPeek(out var a, out var due) && due <= now)
        {
            _pending.Dequeue();
            yield return a;
        }
    }

    private void Refill(double t)
    {
        var dt = t - _last;
        _last = t;
        if (dt <= 0)
        {
            return;
        }

        // The neighbour draws continuously from both buckets; only the rest refills for this client.
        var net = (_rate - _others) * dt;
        _minute = Math.Min(_limit, _minute + net);
        _short = Math.Min(_rate * _window, _short + net);
    }

    private RateLimitHeaders Headers()
    {
        var level = _minuteHeaders ? _minute : _short;
        var capacity = _minuteHeaders ? _limit : _rate * _window;
        return new RateLimitHeaders
        {
            LimitRequests = _limit,
            RemainingRequests = (long)Math.Max(0, Math.Floor(level)),
            ResetRequests = TimeSpan.FromSeconds(Math.Max(0, (capacity - level) / _rate)),
        };
    }
}

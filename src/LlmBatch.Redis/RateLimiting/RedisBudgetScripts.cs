using System.Globalization;
using LlmBatch.RateLimiting;

namespace LlmBatch.Redis.RateLimiting;

/// <summary>
/// The Lua scripts that keep a shared rate budget in Redis: take, settle and pause, each one atomic round trip.
/// </summary>
/// <remarks>
/// <para>
/// The budget lives in four keys with one hash tag, so that a cluster keeps them on one node: the state hash (the
/// request and token buckets, what was learned from headers and 429s, the pause, the counts granted), the takers
/// (a sorted set of job ids scored by when their heartbeat lapses), their weights (a hash), and one hash per job
/// (that job's bucket: its share of the shared rate, capped by its flags). Times are Redis's own
/// (<c>redis.call('TIME')</c>, in microseconds), so processes on machines whose clocks disagree share one clock.
/// </para>
/// <para>
/// The learning mirrors <see cref="LimitLearner"/> step for step (the limit, the measured bucket from
/// <c>remaining + rate × reset</c>, the burst that halves on an unpredicted 429 and grows back while none comes, the
/// margin, the spend of others on the key read from <c>remaining</c>); its constants are taken from that class when
/// the script text is built, so the two cannot drift apart. Headers are parsed in C# by the existing parser and
/// reach the script as numbers (-1 for absent).
/// </para>
/// </remarks>
internal static class RedisBudgetScripts
{
    /// <summary>The script that takes requests and tokens for one attempt, or says how long to wait.</summary>
    /// <remarks>KEYS: state, takers, weights, job. ARGV: requests, tokens, job id, weight, taker lease (µs), idle expiry (ms), request flag (per second, 0 for none), token flag.
    /// Returns: granted (1/0), the grant's stamp or the wait (µs), requests granted in all, tokens granted in all, the job's request rate per second ("" when unknown), its token rate, the pause left (µs).</remarks>
    public static readonly RedisScript Take = new(Prelude + """
        local t = now()
        local req, tok = tonumber(ARGV[1]), tonumber(ARGV[2])
        local S, J = load(KEYS[1]), load(KEYS[4])
        local share, renew = join(S, t, ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]))
        local fr, ft = tonumber(ARGV[7]), tonumber(ARGV[8])
        job_bucket(S, J, R, share, fr, t)
        job_bucket(S, J, T, share, ft, t)
        local wait = 0
        local pause = (S.pause or 0) - t
        if pause > 0 then
          wait = pause
        else
          pause = 0
          wait = math.max(wait_for(S, R, req, t), wait_for(S, T, tok, t), wait_for(J, R, req, t), wait_for(J, T, tok, t))
        end
        local granted = 0
        if wait <= 0 then
          granted = 1
          take(S, R, req); take(S, T, tok); take(J, R, req); take(J, T, tok)
          S.rdisp = (S.rdisp or 0) + req
          S.tdisp = (S.tdisp or 0) + tok
          wait = t
        end
        save(KEYS[1], S); save(KEYS[4], J)
        if renew then expire(tonumber(ARGV[6])) end
        return {granted, wait, S.rdisp or 0, S.tdisp or 0, str(J.rrate), str(J.trate), pause}
        """);

    /// <summary>The script that settles one attempt's grant with what its answer said.</summary>
    /// <remarks>KEYS: state, takers, weights, job. ARGV: stamp, requests, tokens, requests granted through, tokens granted through, sent (1/0),
    /// request limit, remaining, reset (s), token limit, remaining, reset (-1 for absent), actual tokens (-1 for none), tokens charged (1/0),
    /// throttle (0 none, 1 rate limited, 2 overloaded), scope (0 unknown, 1 requests, 2 tokens), learn (1/0), job id, weight, taker lease (µs),
    /// idle expiry (ms), request flag, token flag.
    /// Returns: the job's request rate per second ("" when unknown), its token rate, the request limit learned anew (-1 when unchanged), the token limit learned anew.</remarks>
    public static readonly RedisScript Settle = new(Prelude + """
        local t = now()
        local a = {}
        for i = 1, 17 do a[i] = tonumber(ARGV[i]) end
        local stamp, gr, gt, dr, dt = a[1], a[2], a[3], a[4], a[5]
        local S, J = load(KEYS[1]), load(KEYS[4])
        local share, renew = join(S, t, ARGV[18], tonumber(ARGV[19]), tonumber(ARGV[20]))
        local newr, newt = -1, -1
        if a[6] == 0 then
          refund(S, R, gr, t); refund(S, T, gt, t); refund(J, R, gr, t); refund(J, T, gt, t)
        else
          local actual, remt = a[13], a[11]
          if actual >= 0 then
            -- As LocalRateBudget: a server that reports what it has left keeps its own books, so only overruns are charged then.
            local delta = actual - gt
            if delta < 0 and remt < 0 then
              refund(S, T, -delta, t); refund(J, T, -delta, t)
            else
              charge(S, T, delta, t); charge(J, T, delta, t)
            end
          end
          if a[17] == 1 then
            newr = on_headers(S, R, a[7], a[8], a[9], dr, (S.rdisp or 0) - dr, stamp, t)
            newt = on_headers(S, T, a[10], a[11], a[12], dt, (S.tdisp or 0) - dt, stamp, t)
          end
          if a[14] == 0 then
            refund(S, T, gt, t); refund(J, T, gt, t)
          end
          local learn = a[17] == 1
          if a[15] == 1 then
            on_limited(S, R, stamp, gr, t, learn and a[16] ~= 2)
            on_limited(S, T, stamp, gt, t, learn and a[16] ~= 1)
          elseif a[15] == 2 then
            on_limited(S, R, stamp, gr, t, false)
            on_limited(S, T, stamp, gt, t, false)
          end
        end
        job_bucket(S, J, R, share, tonumber(ARGV[22]), t)
        job_bucket(S, J, T, share, tonumber(ARGV[23]), t)
        save(KEYS[1], S); save(KEYS[4], J)
        if renew then expire(tonumber(ARGV[21])) end
        return {str(J.rrate), str(J.trate), newr, newt}
        """);

    /// <summary>The script that pauses every taker, never shortening a longer pause.</summary>
    /// <remarks>KEYS: state, takers, weights, job. ARGV: wait (µs), idle expiry (ms). Returns: extended (1/0), the pause left (µs).</remarks>
    public static readonly RedisScript Pause = new(Prelude + """
        local t = now()
        local until_ = t + tonumber(ARGV[1])
        local current = tonumber(redis.call('HGET', KEYS[1], 'pause') or '0')
        local extended = 0
        if until_ > current then
          redis.call('HSET', KEYS[1], 'pause', until_)
          current = until_
          extended = 1
        end
        expire(tonumber(ARGV[2]))
        return {extended, current - t}
        """);

    /// <summary>The script a job runs when it leaves: its share goes back to the others at once rather than when its lease lapses.</summary>
    /// <remarks>KEYS: state, takers, weights, job. ARGV: job id.</remarks>
    public static readonly RedisScript Leave = new("""
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('HDEL', KEYS[3], ARGV[1])
        redis.call('HDEL', KEYS[1], 'wsum')
        return 1
        """);

    private static string Prelude => string.Create(CultureInfo.InvariantCulture, $$"""
        local INITIAL_BURST, MAX_BURST, BURST_GROWTH = {{LimitLearner.InitialBurstSeconds}}, {{LimitLearner.MaxBurstSeconds}}, {{LimitLearner.BurstGrowth}}
        local MARGIN_CUT, MARGIN_GROWTH, MARGIN_FLOOR = {{LimitLearner.MarginCut}}, {{LimitLearner.MarginGrowth}}, {{LimitLearner.MarginFloor}}
        local GROWTH_US = {{LimitLearner.GrowthInterval.Ticks / TimeSpan.TicksPerMicrosecond}}
        local JITTER = {{ResourceController.DefaultJitterAllowance.TotalSeconds}}
        local EPS = 1e-6

        -- Field names per budget, built once per call rather than concatenated at every use.
        local function fields(x)
          local f = {}
          for _, n in ipairs({'aat', 'aours', 'arem', 'at', 'burst', 'cap', 'cut', 'grow', 'lvl', 'margin', 'maxb', 'mcap', 'oth', 'rate', 'rej', 'scap', 'srv'}) do f[n] = x .. n end
          return f
        end
        local R, T = fields('r'), fields('t')

        local function now()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000000 + tonumber(t[2])
        end

        -- A hash as a table of numbers; save writes back only the fields that changed (most takes move two levels).
        local loaded = {}
        local function load(key)
          local flat = redis.call('HGETALL', key)
          local h, was = {}, {}
          for i = 1, #flat, 2 do
            local v = tonumber(flat[i + 1])
            h[flat[i]] = v
            was[flat[i]] = v
          end
          loaded[key] = was
          return h
        end

        local function save(key, h)
          local was = loaded[key] or {}
          local flat = {}
          for k, v in pairs(h) do
            if was[k] ~= v then flat[#flat + 1] = k; flat[#flat + 1] = v end
          end
          if #flat > 0 then redis.call('HSET', key, unpack(flat)) end
        end

        local function expire(ms)
          for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ms) end
        end

        local function str(x) if x then return tostring(x) end return '' end

        -- Takers: this job's share of the weights of the jobs active now (S.wsum, recomputed only when a job joins or
        -- lapses). The lease is renewed once half of it has passed, with the keys' idle expiry, and lapsed takers are
        -- swept once a second: most calls cost one ZSCORE here. Returns the share and whether the keys need their expiry renewed.
        local function join(S, t, job, weight, lease)
          local score = tonumber(redis.call('ZSCORE', KEYS[2], job) or '-1')
          local changed, renew = false, false
          if score < t + lease / 2 then
            redis.call('ZADD', KEYS[2], t + lease, job)
            renew = true
            if score < t then
              redis.call('HSET', KEYS[3], job, weight)
              changed = true
            end
          end
          if t >= (S.sweep or 0) then
            S.sweep = t + 1000000
            local lapsed = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', t)
            if #lapsed > 0 then
              redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', t)
              redis.call('HDEL', KEYS[3], unpack(lapsed))
              changed = true
            end
          end
          if changed or not S.wsum or S.wsum < weight then
            local total = 0
            for _, w in ipairs(redis.call('HVALS', KEYS[3])) do total = total + tonumber(w) end
            S.wsum = math.max(total, weight)
          end
          return weight / S.wsum, renew
        end

        -- A bucket (TokenBudget): p.lvl, p.at (µs), p.rate (per second), p.cap; absent while its rate is unknown.
        local function refill(h, p, t)
          local lvl, cap = h[p.lvl], h[p.cap]
          local el = t - h[p.at]
          h[p.at] = t
          if el > 0 and lvl < cap then
            h[p.lvl] = math.min(cap, lvl + h[p.rate] * el / 1e6)
          elseif lvl > cap then
            h[p.lvl] = cap
          end
        end

        local function wait_for(h, p, amount, t)
          if not h[p.rate] then return 0 end
          refill(h, p, t)
          local lvl, cap = h[p.lvl], h[p.cap]
          if lvl + EPS >= amount or (amount > cap and lvl + EPS >= cap) then return 0 end
          return math.ceil((math.min(amount, cap) - lvl) / h[p.rate] * 1e6)
        end

        local function take(h, p, amount)
          if h[p.rate] then h[p.lvl] = h[p.lvl] - amount end
        end

        local function refund(h, p, amount, t)
          if not h[p.rate] then return end
          refill(h, p, t)
          h[p.lvl] = math.min(h[p.cap], h[p.lvl] + math.max(0, amount))
        end

        local function charge(h, p, amount, t)
          if not h[p.rate] then return end
          refill(h, p, t)
          h[p.lvl] = h[p.lvl] - math.max(0, amount)
        end

        local function correct(h, p, estimate, t)
          if not h[p.rate] then return end
          refill(h, p, t)
          if estimate < h[p.lvl] then h[p.lvl] = estimate end
        end

        local function set_bucket(h, p, rate, cap, t)
          if not h[p.rate] then
            h[p.rate] = rate; h[p.cap] = cap; h[p.lvl] = cap; h[p.at] = t
            return
          end
          refill(h, p, t)
          h[p.rate] = rate; h[p.cap] = cap
          if h[p.lvl] > cap then h[p.lvl] = cap end
        end

        -- The learner (LimitLearner): p.srv the server's rate, p.scap its limit, p.mcap the measured bucket,
        -- p.maxb/p.burst burst seconds, p.margin, p.oth others' spend per second, p.cut/p.grow times, p.rej refused,
        -- p.aat/p.arem/p.aours the anchor of the estimate of others' spend.
        local function usable(s) return math.max(s / 2, s - JITTER) end

        local function apply(S, p, t)
          local base = S[p.srv]
          if not base then return end
          local rate = math.max(base * 0.05, base * (S[p.margin] or 1) - (S[p.oth] or 0) * 1.1)
          local cap = math.max(1, rate * math.min(S[p.burst] or INITIAL_BURST, usable(S[p.maxb] or MAX_BURST)))
          set_bucket(S, p, rate, cap, t)
        end

        local function grow(S, p, t)
          if t - (S[p.grow] or 0) < GROWTH_US then return end
          S[p.grow] = t
          S[p.burst] = math.min(usable(S[p.maxb] or MAX_BURST), (S[p.burst] or INITIAL_BURST) * BURST_GROWTH)
          S[p.margin] = math.min(1, (S[p.margin] or 1) + MARGIN_GROWTH)
        end

        local function estimate_others(S, p, remaining, refill_rate, sent, admitted)
          local capacity = S[p.mcap] or 0
          if capacity <= 0 then capacity = S[p.scap] or 0 end
          if capacity < 10 * refill_rate then return end
          local ours = sent - (S[p.rej] or 0)
          local at = S[p.aat]
          if not at then
            S[p.aat] = admitted; S[p.arem] = remaining; S[p.aours] = ours
            return
          end
          local dt = (admitted - at) / 1e6
          if dt < 1 then return end
          local arem, aours = S[p.arem], S[p.aours]
          S[p.aat] = admitted; S[p.arem] = remaining; S[p.aours] = ours
          local others = S[p.oth] or 0
          local expected = arem + refill_rate * dt - (ours - aours)
          if expected >= capacity - 1 or remaining >= capacity - 1 then
            S[p.oth] = math.min(others, math.max(0, refill_rate - (ours - aours) / dt))
            return
          end
          S[p.oth] = (others + math.max(0, (expected - remaining) / dt)) / 2
        end

        -- Returns the limit when it is new or changed, else -1.
        local function on_headers(S, p, limit, remaining, reset, sent, since, admitted, t)
          if limit < 0 and remaining < 0 then return -1 end
          local learned = -1
          if limit > 0 then
            S[p.scap] = limit
            local rate = limit / 60
            if not S[p.srv] or math.abs(S[p.srv] - rate) > 1e-9 then
              S[p.srv] = rate
              learned = limit
            end
          end
          local refill_rate = S[p.srv]
          if not refill_rate then return learned end
          if not S[p.grow] then S[p.grow] = t end
          if remaining >= 0 and reset >= 0 then
            S[p.mcap] = math.max(S[p.mcap] or 0, remaining + refill_rate * reset)
            S[p.maxb] = math.min(MAX_BURST, math.max(1 / refill_rate, S[p.mcap] / refill_rate))
          end
          if remaining >= 0 then estimate_others(S, p, remaining, refill_rate, sent, admitted) end
          grow(S, p, t)
          apply(S, p, t)
          if remaining >= 0 then
            -- What the server had when it answered, plus its refill since, minus what was granted after this attempt.
            correct(S, p, math.min(S[p.cap], remaining + refill_rate * (t - admitted) / 1e6 - since), t)
          end
          return learned
        end

        local function on_limited(S, p, admitted, cost, t, cut)
          S[p.rej] = (S[p.rej] or 0) + cost
          if not cut or not S[p.rate] then return end
          if admitted > (S[p.cut] or -1) then
            S[p.cut] = t; S[p.grow] = t
            local min_burst = math.max(0.05, 1 / S[p.srv])
            S[p.burst] = math.max(min_burst, (S[p.burst] or INITIAL_BURST) / 2)
            S[p.margin] = math.max(MARGIN_FLOOR, (S[p.margin] or 1) * MARGIN_CUT)
            apply(S, p, t)
          end
          correct(S, p, 0, t)
        end

        -- The job's bucket: its share of the shared bucket, capped by its own flag (per second, 0 for none). With no
        -- limit learned yet, the flag is the user's word for the whole key, shared like a learned one.
        local function job_bucket(S, J, p, share, flag, t)
          local rate, cap
          local shared = S[p.rate]
          if shared then
            rate, cap = shared * share, S[p.cap] * share
            if flag > 0 and flag < rate then cap = cap * flag / rate; rate = flag end
          elseif flag > 0 then
            rate = flag * share
            cap = rate * usable(MAX_BURST)
          else
            return
          end
          set_bucket(J, p, rate, math.max(1, cap), t)
        end

        """);
}

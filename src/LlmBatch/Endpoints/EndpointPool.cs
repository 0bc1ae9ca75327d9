using LlmBatch.Concurrency;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using Microsoft.Extensions.Logging;

namespace LlmBatch.Endpoints;

/// <summary>
/// Several endpoints sharing one engine's work, each with its own admission and health. An attempt is offered to
/// every endpoint that may take it (<see cref="AcquireAsync"/>) and goes to the first whose admission lets it go: the
/// endpoint with room now, whatever the others' queues hold. Nothing is committed to an endpoint before it admits, so
/// no item waits behind a slow or paused endpoint while another has room (a pull from one shared stream of attempts,
/// with no prefetch at all). Admissions granted at the same moment by more than one endpoint are handed back unused.
/// </summary>
internal sealed class EndpointPool : IAdmissionControl, IDisposable
{
    private readonly EndpointSlot[] _slots;
    private int _waiting;

    public EndpointPool(IReadOnlyList<BatchEndpoint> endpoints, BatchOptions options, EndpointHealthOptions health, TimeProvider time, ILoggerFactory loggers)
    {
        _slots = new EndpointSlot[endpoints.Count];
        for (var i = 0; i < endpoints.Count; i++)
        {
            var endpoint = endpoints[i];
            var own = options.Clone();
            own.RequestsPerMinute = endpoint.RequestsPerMinute ?? options.RequestsPerMinute;
            own.TokensPerMinute = endpoint.TokensPerMinute ?? options.TokensPerMinute;
            var logger = loggers.CreateLogger("LlmBatch.Endpoints." + endpoint.Name);
            var controller = endpoint.RateBudget is { } shared
                ? new ResourceController(own, time, shared(own, time, logger), logger)
                : new ResourceController(own, time, logger);
            _slots[i] = new EndpointSlot(endpoint, controller, new EndpointHealth(health, time));
        }
    }

    public IReadOnlyList<EndpointSlot> Slots => _slots;

    /// <summary>Attempts waiting for any endpoint's admission now (each once, though it waits at several).</summary>
    public int WaitingCount => Math.Max(0, Volatile.Read(ref _waiting));

    public double? RequestsPerMinuteLimit => Sum(static s => s.Controller.RequestsPerMinuteLimit);

    public double? TokensPerMinuteLimit => Sum(static s => s.Controller.TokensPerMinuteLimit);

    /// <summary>Unreachable only while every endpoint's budget is: since the last of them went.</summary>
    public long? BudgetUnreachableSince
    {
        get
        {
            long? last = null;
            foreach (var slot in _slots)
            {
                if (slot.Controller.BudgetUnreachableSince is not { } since)
                {
                    return null;
                }

                last = last is null || since > last ? since : last;
            }

            return last;
        }
    }

    /// <summary>Paused only while every endpoint is: until the first of them may go again.</summary>
    public DateTimeOffset? PausedUntil
    {
        get
        {
            DateTimeOffset? first = null;
            foreach (var slot in _slots)
            {
                if (slot.Controller.PausedUntil is not { } until)
                {
                    return null;
                }

                first = first is null || until < first ? until : first;
            }

            return first;
        }
    }

    public int ConcurrencyLimit
    {
        get
        {
            var sum = 0;
            foreach (var slot in _slots)
            {
                sum += slot.Controller.ConcurrencyLimit;
            }

            return sum;
        }
    }

    public bool ConcurrencyAdapts => _slots[0].Controller.ConcurrencyAdapts;

    /// <summary>The endpoints' timelines added second by second.</summary>
    public IReadOnlyList<ConcurrencyPoint> ConcurrencyTimeline()
    {
        var sum = new List<ConcurrencyPoint>();
        foreach (var slot in _slots)
        {
            var points = slot.Controller.ConcurrencyTimeline();
            for (var i = 0; i < points.Count; i++)
            {
                var p = points[i];
                if (i < sum.Count)
                {
                    var s = sum[i];
                    sum[i] = s with { Limit = s.Limit + p.Limit, InFlight = s.InFlight + p.InFlight, Goodput = s.Goodput + p.Goodput };
                }
                else
                {
                    sum.Add(p);
                }
            }
        }

        return sum;
    }

    public void StopAdmitting(BatchRunState run)
    {
        foreach (var slot in _slots)
        {
            slot.Controller.StopAdmitting(run);
        }
    }

    public IReadOnlyList<EndpointProgress> Progress()
    {
        var list = new EndpointProgress[_slots.Length];
        for (var i = 0; i < _slots.Length; i++)
        {
            list[i] = _slots[i].Progress();
        }

        return list;
    }

    /// <summary>
    /// Waits until an endpoint admits an attempt of <paramref name="call"/>: among those in (and not
    /// <paramref name="excluded"/>), <paramref name="avoid"/> only when no other is; when every one is out, the one
    /// whose break ends first. Sets the call's reserved tokens and adds the wait to its limiter wait.
    /// </summary>
    public async ValueTask<Admission> AcquireAsync(BatchCall call, EndpointSlot? avoid, List<EndpointSlot>? excluded, CancellationToken cancellationToken)
    {
        var candidates = Candidates(avoid, excluded);
        Interlocked.Increment(ref _waiting);
        try
        {
            if (candidates.Count > 1)
            {
                return await RaceAsync(call, candidates, cancellationToken).ConfigureAwait(false);
            }

            var (slot, probe) = candidates[0];
            try
            {
                return new Admission(slot, await slot.Controller.AcquireAsync(call, cancellationToken).ConfigureAwait(false), probe);
            }
            catch
            {
                slot.Health.Release(probe);
                throw;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    /// <summary>An endpoint's admission of one attempt.</summary>
    internal readonly record struct Admission(EndpointSlot Slot, RateLease Lease, bool Probe);

    /// <summary>Whether any endpoint other than <paramref name="excluded"/> is left to try.</summary>
    public bool HasOther(List<EndpointSlot> excluded) => excluded.Count < _slots.Length;

    public void Dispose()
    {
        foreach (var slot in _slots)
        {
            slot.Controller.Dispose();
        }
    }

    private static async Task<Admission> RaceAsync(BatchCall call, List<(EndpointSlot Slot, bool Probe)> candidates, CancellationToken cancellationToken)
    {
        // Each endpoint's queue holds a stand-in for the call, so that two queues never write the call's reservation
        // at once; the winner's is copied onto the call.
        using var race = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var n = candidates.Count;
        var stand = new BatchCall[n];
        var pending = new Task<RateLease>?[n];
        var winner = -1;
        RateLease lease = default;
        Exception? error = null;
        for (var i = 0; i < n && winner < 0 && error is null; i++)
        {
            stand[i] = new BatchCall(call.Request) { Run = call.Run, EstimatedPromptTokens = call.EstimatedPromptTokens };
            try
            {
                var acquire = candidates[i].Slot.Controller.AcquireAsync(stand[i], race.Token);

                // A controller whose token budget could bind counted the prompt: the next endpoints and the result reuse it.
                call.EstimatedPromptTokens = Math.Max(call.EstimatedPromptTokens, stand[i].EstimatedPromptTokens);
                if (acquire.IsCompletedSuccessfully)
                {
                    (winner, lease) = (i, acquire.Result);
                }
                else
                {
                    pending[i] = acquire.AsTask();
                }
            }
            catch (Exception ex)
            {
                error = ex;
            }
        }

        while (winner < 0 && error is null)
        {
            var first = await Task.WhenAny(Pending(pending)).ConfigureAwait(false);
            var i = Array.IndexOf(pending, first);
            pending[i] = null;
            if (first.IsCompletedSuccessfully)
            {
                if (!candidates[i].Probe && candidates[i].Slot.Health.State != EndpointState.Healthy && HasPending(pending))
                {
                    // Taken out while the attempt waited in its queue: hand the admission back and wait for the others.
                    candidates[i].Slot.Controller.Release(first.Result);
                    continue;
                }

                (winner, lease) = (i, first.Result);
            }
            else
            {
                error = first.Exception?.InnerException ?? new OperationCanceledException(cancellationToken);
            }
        }

        // Every other queue lets go; one that admitted meanwhile gets its admission back unused.
        await race.CancelAsync().ConfigureAwait(false);
        for (var i = 0; i < n; i++)
        {
            if (i != winner)
            {
                if (pending[i] is { } other)
                {
                    _ = GiveBackAsync(other, candidates[i].Slot, candidates[i].Probe);
                }
                else
                {
                    candidates[i].Slot.Health.Release(candidates[i].Probe);
                }
            }
        }

        if (winner < 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error!);
        }

        call.ReservedTokens = stand[winner].ReservedTokens;
        call.LimiterWait += stand[winner].LimiterWait;
        return new Admission(candidates[winner].Slot, lease, candidates[winner].Probe);
    }

    private static bool HasPending(Task<RateLease>?[] pending) => Array.Exists(pending, t => t is not null);

    private static IEnumerable<Task<RateLease>> Pending(Task<RateLease>?[] pending)
    {
        foreach (var task in pending)
        {
            if (task is not null)
            {
                yield return task;
            }
        }
    }

    private static async Task GiveBackAsync(Task<RateLease> admission, EndpointSlot slot, bool probe)
    {
        try
        {
            slot.Controller.Release(await admission.ConfigureAwait(false));
        }
        catch (Exception)
        {
            // Cancelled (the usual end of a lost race), refused or disposed: nothing was granted.
        }
        finally
        {
            slot.Health.Release(probe);
        }
    }

    /// <summary>The endpoints to offer an attempt to, in a weighted random order (the first tried wins when several have room).</summary>
    private List<(EndpointSlot Slot, bool Probe)> Candidates(EndpointSlot? avoid, List<EndpointSlot>? excluded)
    {
        var list = new List<(EndpointSlot Slot, bool Probe)>(_slots.Length);
        var keys = new List<double>(_slots.Length);
        (EndpointSlot Slot, bool Probe)? avoided = null;
        EndpointSlot? soonest = null;
        foreach (var slot in _slots)
        {
            if (excluded?.Contains(slot) == true)
            {
                continue;
            }

            if (soonest is null || slot.Health.OutFor < soonest.Health.OutFor)
            {
                soonest = slot;
            }

            if (!slot.Health.TryEnter(out var probe))
            {
                continue;
            }

            if (ReferenceEquals(slot, avoid))
            {
                avoided = (slot, probe);
                continue;
            }

            // Efraimidis and Spirakis: sorting by U^(1/w) descending is a weighted random order.
            var key = Math.Pow(Random.Shared.NextDouble(), 1 / slot.Endpoint.Weight);
            var at = 0;
            while (at < keys.Count && keys[at] >= key)
            {
                at++;
            }

            keys.Insert(at, key);
            list.Insert(at, (slot, probe));
        }

        if (list.Count == 0 && avoided is { } only)
        {
            list.Add(only);
        }
        else if (avoided is { } unused)
        {
            unused.Slot.Health.Release(unused.Probe);
        }

        if (list.Count == 0)
        {
            // Every endpoint is out: the one back soonest takes the attempt, so the run goes on as a single
            // endpoint's would (failures counted, a run never reached stops) instead of waiting out the breaks.
            list.Add((soonest ?? _slots[0], false));
        }

        return list;
    }

    private double? Sum(Func<EndpointSlot, double?> read)
    {
        double? sum = null;
        foreach (var slot in _slots)
        {
            if (read(slot) is { } value)
            {
                sum = (sum ?? 0) + value;
            }
        }

        return sum;
    }
}

namespace LlmBatch.RateLimiting;

/// <summary>
/// The request and token budgets an endpoint allows and the pause its 429s ask for: what
/// <see cref="ResourceController"/> draws on before an attempt goes, and settles with what the answer said.
/// </summary>
/// <remarks>
/// <para>
/// The admission queue (fairness between waiters) and the concurrency limit stay with the controller, one per
/// process; only the budget may be shared. <see cref="LocalRateBudget"/> keeps it in process memory, the default. A
/// shared implementation (issue 11: Redis scripts keyed by endpoint and a hash of the API key) keeps the buckets,
/// the learned limits and the pause where every process reaches them, so that N processes together stay at the
/// provider's limit rather than N times it. The four operations are the round trips such a store needs: take before
/// a send, settle after its answer, pause on the server's word, read the limits for the progress line.
/// </para>
/// <para>
/// The controller calls every member under its own lock, one call at a time, so an in-process implementation needs
/// no locking of its own. An implementation that does I/O must not block there: it starts the I/O and returns a
/// pending <see cref="ValueTask"/>; the controller completes the admission or the settlement when it finishes.
/// Waits are relative (<see cref="TimeSpan"/>), never clock readings, so that processes on machines whose clocks
/// differ agree on them; the caller's timestamp (<c>now</c>) spares an in-process budget a second clock read on the
/// hot path (measured: reading the clock again in the budget cost ~45 ns of CPU per attempt, 6 % of the limiter's
/// cost), while a shared one keeps its store's time.
/// </para>
/// </remarks>
internal interface IRateBudget : IDisposable
{
    /// <summary>The request budget in force, per minute; null when unlimited or not yet known.</summary>
    double? RequestsPerMinute { get; }

    /// <summary>The token budget in force, per minute; null when unlimited or not yet known.</summary>
    double? TokensPerMinute { get; }

    /// <summary>Until when dispatch is paused because a server asked every client to wait; null when it is not.</summary>
    DateTimeOffset? PausedUntil { get; }

    /// <summary>
    /// Since when (a <see cref="TimeProvider.GetTimestamp"/>) a shared store has not answered, so that takes wait;
    /// null while it answers, and always in process. The run's <see cref="BatchOptions.StallTimeout"/> counts such a
    /// wait as refusals: without it a run whose store never came back would wait forever, since nothing is sent.
    /// </summary>
    long? UnreachableSince => null;

    /// <summary>
    /// True when taking <paramref name="tokens"/> now would leave the token budget so far from binding that the exact
    /// count of a prompt could not change an admission (see <see cref="ResourceController"/>): the controller then
    /// reserves an upper bound of the prompt and never runs the tokenizer. A read, not a take. False by default (a
    /// shared budget's level is in its store), and then every prompt is counted, as before.
    /// </summary>
    /// <param name="tokens">The upper bound of the attempt's cost.</param>
    /// <param name="now">The current timestamp.</param>
    bool HasTokenHeadroom(long tokens, long now) => false;

    /// <summary>
    /// Takes <paramref name="requests"/> and <paramref name="tokens"/> when no pause is in force and both budgets
    /// hold them now; otherwise takes nothing and says how long until asking again is worth it.
    /// </summary>
    /// <param name="requests">Requests to take (one per attempt).</param>
    /// <param name="tokens">Tokens to take: the prompt plus the most the attempt may generate.</param>
    /// <param name="now">The caller's <see cref="TimeProvider.GetTimestamp"/>, read once for the whole admission.</param>
    /// <param name="cancellationToken">Cancels a take that waits on a shared store.</param>
    /// <returns>The grant to settle later, or the wait before the next try.</returns>
    ValueTask<BudgetDecision> TryTakeAsync(long requests, long tokens, long now, CancellationToken cancellationToken);

    /// <summary>
    /// Settles a grant: refunds the estimate's unused tokens or charges its overrun from the answer's usage, learns
    /// the limits, the enforcement window and others' spend from its rate-limit headers and 429s, or gives the whole
    /// grant back when the attempt was never sent (<see cref="BudgetOutcome.NotSent"/>).
    /// </summary>
    /// <param name="grant">What <see cref="TryTakeAsync"/> granted.</param>
    /// <param name="outcome">What the attempt's answer (or its absence) said.</param>
    /// <param name="now">The caller's <see cref="TimeProvider.GetTimestamp"/> when the answer was in.</param>
    /// <param name="cancellationToken">Cancels a settlement that waits on a shared store.</param>
    ValueTask SettleAsync(BudgetGrant grant, BudgetOutcome outcome, long now, CancellationToken cancellationToken);

    /// <summary>
    /// Pauses every taker of this budget for <paramref name="wait"/> from now, unless a longer pause is in force: a
    /// server's <c>retry-after</c> is addressed to every client on the key, not to one process.
    /// </summary>
    /// <param name="wait">How long the server asked for.</param>
    /// <param name="reason">Why, for the log ("Rate limited (429)").</param>
    /// <param name="now">The caller's <see cref="TimeProvider.GetTimestamp"/> when the answer was in.</param>
    /// <param name="cancellationToken">Cancels a pause that waits on a shared store.</param>
    ValueTask PauseAsync(TimeSpan wait, string reason, long now, CancellationToken cancellationToken);
}

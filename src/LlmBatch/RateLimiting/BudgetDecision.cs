namespace LlmBatch.RateLimiting;

/// <summary>The answer of <see cref="IRateBudget.TryTakeAsync"/>: a grant, or how long to wait before asking again.</summary>
/// <param name="Granted">True when the budget took what was asked.</param>
/// <param name="Grant">What was taken, to settle later; default when not granted.</param>
/// <param name="RetryAfter">When not granted, how long until the budget could grant it, assuming nothing else changes.</param>
internal readonly record struct BudgetDecision(bool Granted, BudgetGrant Grant, TimeSpan RetryAfter)
{
    /// <summary>The budget took what was asked.</summary>
    public static BudgetDecision Take(BudgetGrant grant) => new(true, grant, TimeSpan.Zero);

    /// <summary>The budget took nothing; ask again after <paramref name="retryAfter"/>.</summary>
    public static BudgetDecision Wait(TimeSpan retryAfter) => new(false, default, retryAfter);
}

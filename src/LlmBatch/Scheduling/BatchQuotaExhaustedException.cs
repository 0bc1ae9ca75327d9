namespace LlmBatch;

/// <summary>
/// The provider answered 429 with <c>insufficient_quota</c>: the account has no credit left, which no wait fixes. The
/// run was stopped instead of retrying every item; nothing was recorded for the refused items, so a rerun after the
/// quota is raised sends them.
/// </summary>
public sealed class BatchQuotaExhaustedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="providerMessage">The provider's error message, if it sent one.</param>
    public BatchQuotaExhaustedException(string? providerMessage)
        : base($"The provider says the account's quota is exhausted{(string.IsNullOrWhiteSpace(providerMessage) ? "" : $" ({providerMessage})")}. "
            + "Nothing was recorded for the refused items: raise the quota or add credit, then run the same command again.")
    {
    }
}

namespace LlmBatch.Simulator;

/// <summary>Admits or rejects a request for an API key, charging its token cost on admission.</summary>
internal interface IRateLimiter
{
    RateDecision Admit(string apiKey, long tokenCost);
}

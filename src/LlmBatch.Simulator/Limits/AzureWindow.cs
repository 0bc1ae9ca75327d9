namespace LlmBatch.Simulator;

/// <summary>One API key's counts in the current 10-second window. Callers lock the instance.</summary>
internal sealed class AzureWindow
{
    public long Index { get; set; } = -1;

    public long Requests { get; set; }

    public long Tokens { get; set; }
}

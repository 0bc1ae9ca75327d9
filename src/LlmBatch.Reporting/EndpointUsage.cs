using LlmBatch.Endpoints;

namespace LlmBatch.Reporting;

/// <summary>
/// One endpoint of a run over several: the items its answers ended (from the output lines, so a report rebuilt from
/// the file has them) and, when the live run's figures are at hand, its attempts, failures and state.
/// </summary>
internal sealed class EndpointUsage(string name)
{
    public string Name { get; } = name;

    public long Items { get; set; }

    public long Succeeded { get; set; }

    /// <summary>The live run's figures of this endpoint; null when the report is rebuilt from a file.</summary>
    public EndpointProgress? Live { get; set; }
}

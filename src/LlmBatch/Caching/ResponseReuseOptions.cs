using LlmBatch.Input;

namespace LlmBatch.Caching;

/// <summary>
/// How an engine avoids paying twice for one answer (<see cref="BatchEngineBuilder.WithResponseReuse"/>): identical
/// requests within a run are sent once and share the answer, and a response cache answers requests already answered by
/// an earlier run. Neither costs rate budget: both sit outside the retry and rate-limit layers.
/// </summary>
public sealed class ResponseReuseOptions
{
    /// <summary>Default for <see cref="MaxRetainedBytes"/>: 256 MiB.</summary>
    public const long DefaultMaxRetainedBytes = 256L * 1024 * 1024;

    /// <summary>Send identical requests of a run once and give each its own line with the shared answer (default true).</summary>
    public bool Deduplicate { get; set; } = true;

    /// <summary>The response cache, or null (default) for none.</summary>
    public IBatchResponseCache? Cache { get; set; }

    /// <summary>Which requests may be shared or cached (default <see cref="ReusePolicy.Deterministic"/>).</summary>
    public ReusePolicy Policy { get; set; } = ReusePolicy.Deterministic;

    /// <summary>
    /// Identifies the provider in every key, normally its base URL (default empty), so one server's answers never answer
    /// another's requests. Never put a credential in it.
    /// </summary>
    public string Provider { get; set; } = "";

    /// <summary>
    /// Which bodies of the input repeat and how often (<see cref="RepeatIndex.BuildAsync"/>), or null (default). With it an
    /// answer is kept until its last copy has taken it, so every repeat is answered without a request however far apart
    /// the copies are; without it only copies that arrive while the first is still in flight share its answer (the
    /// response cache, when there is one, answers the later ones).
    /// </summary>
    public RepeatIndex? Repeats { get; set; }

    /// <summary>
    /// Answer bytes kept in memory for copies still to come (default 256 MiB). Past it a further answer is not kept and
    /// its later copies are sent again (or answered by the cache).
    /// </summary>
    public long MaxRetainedBytes { get; set; } = DefaultMaxRetainedBytes;

    /// <summary>Identifies this run in the answers it stores, so a later copy answered by the cache is marked as shared (default: a new id).</summary>
    public Guid RunId { get; set; } = Guid.NewGuid();

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (MaxRetainedBytes < 0)
        {
            problems.Add($"MaxRetainedBytes must not be negative (was {MaxRetainedBytes}).");
        }

        if (!Enum.IsDefined(Policy))
        {
            problems.Add($"Policy must be Deterministic or All (was {Policy}).");
        }

        if (Provider is null)
        {
            problems.Add("Provider must not be null.");
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }

    /// <summary>Whether <paramref name="request"/> may be shared or cached under <paramref name="policy"/>.</summary>
    internal static bool IsReusable(BatchRequest request, ReusePolicy policy) =>
        policy == ReusePolicy.All
        || request.Endpoint == BatchEndpointKind.Embeddings
        || request.IsDeterministic;
}

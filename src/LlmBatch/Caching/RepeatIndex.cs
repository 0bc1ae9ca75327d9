using LlmBatch.Input;

namespace LlmBatch.Caching;

/// <summary>
/// Which reusable bodies of an input occur more than once, and how often: read once before a run, it lets the
/// deduplication keep an answer exactly until its last copy has taken it. Memory while building is one 64-bit hash per
/// reusable request; what is kept is one entry per repeated body.
/// </summary>
public sealed class RepeatIndex
{
    private readonly Dictionary<ulong, int> _counts;

    internal RepeatIndex(Dictionary<ulong, int> counts, long requests, long reusable, long repeats)
    {
        _counts = counts;
        Requests = requests;
        Reusable = reusable;
        Repeats = repeats;
    }

    /// <summary>Requests read.</summary>
    public long Requests { get; }

    /// <summary>Requests that may be shared under the policy the index was built with.</summary>
    public long Reusable { get; }

    /// <summary>Requests identical to an earlier one of the input: what deduplication saves.</summary>
    public long Repeats { get; }

    /// <summary>Bodies that occur more than once.</summary>
    public int RepeatedBodies => _counts.Count;

    /// <summary>Reads the requests and counts their repeats.</summary>
    /// <param name="requests">The input's requests (for example <see cref="BatchInputFile.ReadAsync(string, CancellationToken)"/>).</param>
    /// <param name="policy">Which requests may be shared; the same as the engine's <see cref="ResponseReuseOptions.Policy"/>.</param>
    /// <param name="provider">The same as the engine's <see cref="ResponseReuseOptions.Provider"/>.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The index.</returns>
    public static async Task<RepeatIndex> BuildAsync(IAsyncEnumerable<BatchRequest> requests, ReusePolicy policy, string provider, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(provider);
        using var counter = new RepeatCounter(policy, provider);
        await foreach (var request in requests.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            counter.Add(request);
        }

        return counter.Build();
    }

    /// <summary>How many times the body with this key occurs in the input; 1 when it is not repeated.</summary>
    internal int Occurrences(RequestKey key) => _counts.TryGetValue(key.Fold, out var n) ? n : 1;

    internal static bool TryKey(UInt128 providerHash, BatchRequest request, out RequestKey key)
    {
        try
        {
            key = RequestKey.Compute(providerHash, request);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            // A body built in code that is not JSON is sent as it is, never shared.
            key = default;
            return false;
        }
    }
}

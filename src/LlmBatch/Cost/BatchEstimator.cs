using LlmBatch.Caching;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.RateLimiting;

namespace LlmBatch.Cost;

/// <summary>
/// Prices a file before anything is sent: per model, the prompt tokens (counted exactly with the tokenizer), the
/// completion budget (the output limits, an upper bound), the completion expected (the budget times the ratio observed
/// in an earlier run of the same file, else <see cref="BatchEstimateOptions.DefaultCompletionRatio"/>), and the cost
/// online and through the Batch API. With the run's settings it leaves out what the run would not pay for: items
/// already answered, repeats shared within the run, answers in the response cache.
/// </summary>
public static class BatchEstimator
{
    // Enough answers to measure a ratio; more only cost memory.
    private const int MaxObservations = 500_000;

    /// <summary>Estimates an input file (checked first: a bad file throws).</summary>
    /// <param name="inputPath">The Batch API input file.</param>
    /// <param name="options">Prices and the run's settings; null for the defaults.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The estimate.</returns>
    /// <exception cref="BatchInputException">The input is not valid.</exception>
    public static Task<BatchEstimate> EstimateAsync(string inputPath, BatchEstimateOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputPath);
        return EstimateAsync(BatchInputFile.ReadAsync(inputPath, cancellationToken), options, cancellationToken);
    }

    /// <summary>Estimates a stream of requests.</summary>
    /// <param name="requests">The requests.</param>
    /// <param name="options">Prices and the run's settings; null for the defaults.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The estimate.</returns>
    public static async Task<BatchEstimate> EstimateAsync(IAsyncEnumerable<BatchRequest> requests, BatchEstimateOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        options ??= new BatchEstimateOptions();
        options.Validate();
        var previous = await Previous.ReadAsync(options, cancellationToken).ConfigureAwait(false);
        var reuse = options.Reuse;
        var provider = RequestKey.ProviderHash(reuse?.Provider ?? "");
        var seen = reuse?.Deduplicate == true ? new CustomIdSet() : null;
        var models = new Dictionary<string, Tally>(StringComparer.Ordinal);
        long total = 0, done = 0, repeats = 0, hits = 0, toSend = 0;
        var observed = new Tally();
        await foreach (var request in requests.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            total++;
            var budget = request.Endpoint == BatchEndpointKind.Embeddings ? 0 : request.MaxOutputTokens ?? options.DefaultMaxOutputTokens;
            if (!models.TryGetValue(request.Model, out var tally))
            {
                tally = new Tally();
                models.Add(request.Model, tally);
            }

            var id = CustomIdHash.Key(request.CustomId);
            if (previous.Completion.TryGetValue(id, out var completion) && budget > 0)
            {
                tally.ObservedBudget += budget;
                tally.ObservedCompletion += completion;
                tally.Observed++;
                observed.ObservedBudget += budget;
                observed.ObservedCompletion += completion;
                observed.Observed++;
            }

            if (previous.Done?.Contains(id) == true)
            {
                done++;
                continue;
            }

            if (reuse is not null && ResponseReuseOptions.IsReusable(request, reuse.Policy) && RepeatIndex.TryKey(provider, request, out var key))
            {
                if (seen is not null && !seen.Add(key.Fold))
                {
                    repeats++;
                    continue;
                }

                if (reuse.Cache is not null && await reuse.Cache.TryGetAsync(key, cancellationToken).ConfigureAwait(false) is not null)
                {
                    hits++;
                    continue;
                }
            }

            toSend++;
            tally.Requests++;
            tally.PromptTokens += TokenCounter.Shared.CountPromptTokens(request);
            tally.Budget += budget;
        }

        var estimates = new List<ModelEstimate>(models.Count);
        foreach (var (model, tally) in models)
        {
            if (tally.Requests == 0)
            {
                continue;
            }

            var from = tally.Observed > 0 ? tally : observed.Observed > 0 ? observed : null;
            var ratio = from is null || from.ObservedBudget == 0 ? options.CompletionRatio : Math.Min(1, (double)from.ObservedCompletion / from.ObservedBudget);
            estimates.Add(new ModelEstimate
            {
                Model = model,
                Requests = tally.Requests,
                PromptTokens = tally.PromptTokens,
                CompletionBudget = tally.Budget,
                ExpectedCompletion = (long)Math.Round(tally.Budget * ratio),
                CompletionRatio = ratio,
                RatioObservedOn = from?.Observed ?? 0,
                Price = options.Prices.TryGetPrice(model, out var price) ? price : null,
            });
        }

        estimates.Sort((a, b) => b.PromptTokens.CompareTo(a.PromptTokens) is var c && c != 0 ? c : string.CompareOrdinal(a.Model, b.Model));
        return new BatchEstimate
        {
            Requests = total,
            AlreadyDone = done,
            Repeats = repeats,
            CacheHits = hits,
            ToSend = toSend,
            Models = estimates,
            PriceSource = options.Prices.Source,
        };
    }

    private sealed class Tally
    {
        public long Requests;
        public long PromptTokens;
        public long Budget;
        public long Observed;
        public long ObservedBudget;
        public long ObservedCompletion;
    }

    /// <summary>What an earlier output says: the completion tokens of its answers, and which items it holds.</summary>
    private sealed record Previous(Dictionary<UInt128, int> Completion, CustomIdSet? Done)
    {
        public static async Task<Previous> ReadAsync(BatchEstimateOptions options, CancellationToken cancellationToken)
        {
            var completion = new Dictionary<UInt128, int>();
            if (options.PreviousOutputPath is not { } path || !File.Exists(path))
            {
                return new Previous(completion, null);
            }

            var done = options.SkipDone ? new CustomIdSet() : null;
            await foreach (var result in BatchOutputFile.ReadAsync(path, cancellationToken).ConfigureAwait(false))
            {
                var id = CustomIdHash.Key(result.CustomId);
                if (result.IsSuccess && result.Stats.UsageReported && completion.Count < MaxObservations)
                {
                    completion[id] = result.Stats.CompletionTokens;
                }

                if (result.IsSuccess || !options.RetryFailed)
                {
                    done?.Add(id);
                }
            }

            return new Previous(completion, done);
        }
    }
}

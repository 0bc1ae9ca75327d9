using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.Benchmarks;

/// <summary>One engine run over a provider, as the pipeline benchmarks measure it: a new engine, every item through it.</summary>
public static class EngineRuns
{
    /// <summary>Requests per engine run: each benchmark operation runs this many items.</summary>
    public const int Items = 10_000;

    /// <summary>The requests of one run, made once.</summary>
    public static BatchRequest[] Requests()
    {
        var requests = new BatchRequest[Items];
        for (var i = 0; i < Items; i++)
        {
            requests[i] = SampleData.Request(i);
        }

        return requests;
    }

    /// <summary>
    /// Runs <paramref name="requests"/> through a new engine over <paramref name="provider"/>; with
    /// <paramref name="limited"/>, request and token budgets that never bind (every prompt counted, every answer settled).
    /// </summary>
    /// <returns>The successes; anything else is a broken benchmark and throws.</returns>
    public static async Task<long> RunAsync(IBatchHandler provider, BatchRequest[] requests, bool limited)
    {
        var options = limited
            ? new BatchOptions { RequestsPerMinute = 1e12, TokensPerMinute = 1e12 }
            : new BatchOptions();
        var engine = new BatchEngineBuilder(provider).WithOptions(options).Build();
        long ok = 0;
        await foreach (var result in engine.RunAsync(Stream(requests)))
        {
            if (result.IsSuccess)
            {
                ok++;
            }
        }

        if (ok != requests.Length)
        {
            throw new InvalidOperationException($"expected {requests.Length} successes, got {ok}");
        }

        return ok;
    }

    private static async IAsyncEnumerable<BatchRequest> Stream(BatchRequest[] requests)
    {
        await Task.CompletedTask;
        foreach (var r in requests)
        {
            yield return r;
        }
    }
}

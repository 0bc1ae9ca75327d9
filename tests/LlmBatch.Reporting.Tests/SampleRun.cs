using LlmBatch.Output;

namespace LlmBatch.Reporting.Tests;

/// <summary>A deterministic synthetic run: ramps up, hits 429s, has slow tails and a few permanent failures.</summary>
internal static class SampleRun
{
    public static readonly DateTimeOffset Start = new(2026, 11, 28, 3, 0, 0, TimeSpan.Zero);

    public static List<BatchResult> Create(int count = 3000, int seed = 7)
    {
        var random = new Random(seed);
        var results = new List<BatchResult>(count);
        var models = new[] { "gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", "gpt-4.1-nano", "my-local-model" };
        for (var i = 0; i < count; i++)
        {
            // About 600 s of dispatch with a slower start.
            var startSec = 600.0 * Math.Sqrt((i + random.NextDouble()) / count);
            var latency = 300 + (random.NextDouble() * 900) + (random.NextDouble() < 0.02 ? random.Next(5_000, 40_000) : 0);
            var statuses = new List<int>();
            var inMiddle = startSec is > 250 and < 330;
            if (inMiddle && random.NextDouble() < 0.5)
            {
                statuses.Add(429);
            }

            if (random.NextDouble() < 0.01)
            {
                statuses.Add(500);
            }

            string? errorCode = null;
            var final = 200;
            var roll = random.NextDouble();
            if (roll < 0.006)
            {
                final = 400;
                errorCode = "http_400";
            }
            else if (roll < 0.009)
            {
                final = 0;
                errorCode = "timeout";
            }
            else if (roll < 0.011)
            {
                final = 429;
                errorCode = "http_429";
                statuses.AddRange([429, 429, 429]);
            }

            statuses.Add(final);
            var wait = inMiddle ? random.Next(200, 4000) : random.NextDouble() * 20;
            var total = latency + wait + ((statuses.Count - 1) * 1500);
            var model = models[i % models.Length];
            results.Add(new BatchResult
            {
                CustomId = "req-" + i.ToString("00000"),
                Id = "batch_req_" + i.ToString("x16"),
                StatusCode = final,
                LineNumber = i + 1,
                Error = errorCode is null ? null : new BatchError(errorCode, errorCode == "http_400" ? "Invalid 'messages': <empty> & too \"short\"" : "The attempt timed out."),
                Stats = new BatchItemStats
                {
                    Attempts = statuses.Count,
                    Statuses = statuses,
                    StartedAt = Start.AddMilliseconds(Math.Round(startSec * 1000)),
                    FinishedAt = Start.AddMilliseconds(Math.Round((startSec * 1000) + total)),
                    LatencyMs = Math.Round(latency, 1),
                    LimiterWaitMs = Math.Round(wait, 1),
                    PromptTokens = 200 + random.Next(0, 800),
                    CompletionTokens = errorCode is null ? random.Next(20, 400) : 0,
                    UsageReported = errorCode is null,
                    Model = model,
                },
            });
        }

        return results;
    }

    public static async IAsyncEnumerable<BatchResult> Stream(IEnumerable<BatchResult> results)
    {
        foreach (var result in results)
        {
            await Task.Yield();
            yield return result;
        }
    }
}

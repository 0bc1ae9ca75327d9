using System.Text;
using System.Text.Json;

namespace LlmBatch.Bench.Macro;

/// <summary>
/// The scenarios where real servers differ from a friendly one (issue 9): OpenAI's quantised windows behind per-minute
/// headers, servers bound by slots that refuse or queue, a neighbour on the key, and packed embeddings. Every run of
/// ours uses default settings: no limit flags, adaptive concurrency.
/// </summary>
internal sealed partial class Harness
{
    // ---------------------------------------------------------------- quantised windows, fixed

    public async Task<IReadOnlyList<ScenarioResult>> QuantizedAsync()
    {
        // The default simulator already enforces a one-second bucket behind per-minute headers (the learned rows of
        // "rate" and "tokens"); here the window is a fixed one counted from the clock, which an exact pace overruns.
        var n = sizes.RateItems;
        var sim = new SimSettings { Rpm = sizes.Rpm, WindowKind = "fixed", Seed = seed };
        var input = Input("quantized.jsonl", p => InputGenerator.WriteFixed(p, n, PromptWords, MaxTokens, seed));
        var estimate = IdealRequests(n, sim, MaxTokens / 2.0);
        var ours = await MeasureAsync("quantized fixed windows, ours (no flags)", sim, ours: true, input, n, [], Cap(estimate, 4));
        var theirs = runBaseline ? await MeasureAsync("quantized fixed windows, baseline", sim, ours: false, input, n, [], Cap(estimate, 6)) : null;
        File.Delete(input);
        return
        [
            LimitedResult("quantized (fixed 1 s windows)", $"{n:N0} chat requests, simulator {sim.Describe()}; ours with no limit flags", ours, IdealRequests(ours.Stats, sim),
                theirs, theirs is null ? double.NaN : IdealRequests(theirs.Stats, sim), 0.93),
        ];
    }

    // ---------------------------------------------------------------- slot-bound servers that refuse

    public async Task<IReadOnlyList<ScenarioResult>> OverloadAsync()
    {
        var n = sizes.RateItems;
        const int Slots = 32;
        const double LatencyMs = 200;
        var results = new List<ScenarioResult>();
        foreach (var overflow in new[] { "reject", "reject-429" })
        {
            var sim = new SimSettings { MaxInFlight = Slots, Overflow = overflow, LatencyMs = LatencyMs, PerTokenMs = 0, LatencyJitter = 0, Seed = seed };
            var input = Input($"overload-{overflow}.jsonl", p => InputGenerator.WriteFixed(p, n, PromptWords, MaxTokens, seed));
            var ideal = n * LatencyMs / 1000 / Slots;
            var ours = await MeasureAsync($"overload ({overflow}), ours", sim, ours: true, input, n, [], Cap(ideal, 6));
            var theirs = runBaseline ? await MeasureAsync($"overload ({overflow}), baseline", sim, ours: false, input, n, [], Cap(ideal, 8)) : null;
            File.Delete(input);
            var share = Overloads(ours.Stats);
            var eff = ours.Run.TimedOut ? 0 : ideal / ours.Run.WallSeconds;
            var figures = new List<Figure>
            {
                new("efficiency (ideal/wall)", F3(eff), theirs is null || theirs.Run.TimedOut ? "-" : F3(ideal / theirs.Run.WallSeconds), ">= 0.85", eff >= 0.85),
                new("wall time (ideal)", $"{Wall(ours)} ({ideal:0.00} s)", theirs is null ? "-" : Wall(theirs)),
                new("efficiency, start-up excluded", double.IsNaN(_oursStartup) || ours.Run.TimedOut ? "-" : F3(ideal / (ours.Run.WallSeconds - _oursStartup)), "-"),
                new("overload answers", Pct(share) + $" of {ours.Stats.TotalRequests:N0}", theirs is null ? "-" : Pct(Overloads(theirs.Stats)) + $" of {theirs.Stats.TotalRequests:N0}", "< 2 %", share < 0.02),
                new("items correct", ours.Check.Describe(), theirs?.Check.Describe() ?? "-", "all", ours.Check.AllCorrect),
            };
            results.Add(new ScenarioResult($"overload ({(overflow == "reject" ? "503" : "429 without headers")})",
                $"{n:N0} chat requests, simulator {sim.Describe()}; ideal = items × latency / slots; both clients with default settings", figures, []));
        }

        return results;
    }

    private static double Overloads(SimStats s) => s.TotalRequests == 0 ? 0 : (double)s.CapacityRejected / s.TotalRequests;

    // ---------------------------------------------------------------- a GPU server that queues

    public async Task<ScenarioResult> GpuAsync()
    {
        var n = sizes.GpuItems;
        var sim = new SimSettings { MaxInFlight = 256, Overflow = "queue", Saturation = 32, SaturationGrowth = 0.5, LatencyMs = 150, PerTokenMs = 4, Seed = seed };
        var input = Input("gpu.jsonl", p => InputGenerator.WriteFixed(p, n, PromptWords, MaxTokens, seed));
        var sweep = new List<(int Concurrency, double Goodput, double MedianMs)>();
        foreach (var c in new[] { 8, 16, 24, 32, 48, 64, 96 })
        {
            var median = double.NaN;
            var run = await MeasureAsync($"gpu, fixed --concurrency {c}", sim, ours: true, input, n, ["--concurrency", c.ToString(C)], TimeSpan.FromMinutes(5), (path, _) => median = OutputFigures.MedianLatencyMs(path));
            sweep.Add((c, run.Run.TimedOut ? 0 : n / (run.Run.WallSeconds - _oursStartup), median));
        }

        var adaptiveMedian = double.NaN;
        var adaptive = await MeasureAsync("gpu, ours adaptive", sim, ours: true, input, n, [], TimeSpan.FromMinutes(5), (path, _) => adaptiveMedian = OutputFigures.MedianLatencyMs(path));
        File.Delete(input);
        var best = sweep.Max(p => p.Goodput);
        var knee = sweep.First(p => p.Goodput >= 0.95 * best);
        var goodput = adaptive.Run.TimedOut ? 0 : n / (adaptive.Run.WallSeconds - _oursStartup);
        var figures = new List<Figure>
        {
            new("goodput / best of the sweep", F3(goodput / best) + $" ({goodput:0.0}/s against {best:0.0}/s)", "-", ">= 0.90", goodput >= 0.9 * best),
            new("median latency / the knee's", $"{adaptiveMedian / knee.MedianMs:0.00} ({adaptiveMedian:0} ms against {knee.MedianMs:0} ms at {knee.Concurrency})", "-", "<= 1.5", adaptiveMedian <= 1.5 * knee.MedianMs),
            new("sweep (concurrency: items/s, median ms)", string.Join("; ", sweep.Select(p => $"{p.Concurrency}: {p.Goodput:0.0}/s, {p.MedianMs:0} ms")), "-"),
            new("items correct", adaptive.Check.Describe(), "-", "all", adaptive.Check.AllCorrect),
        };
        return new ScenarioResult("gpu server that queues", $"{n:N0} chat requests, simulator {sim.Describe()}; goodput = items / (wall − start-up); the knee is the least swept concurrency within 5 % of the best goodput", figures,
            ["The sweep runs the same binary with --concurrency N; the adaptive run has default settings."]);
    }

    // ---------------------------------------------------------------- a neighbour on the key

    public async Task<ScenarioResult> SharedKeyAsync()
    {
        var n = sizes.RateItems;
        var sim = new SimSettings { Rpm = sizes.Rpm, NeighbourShare = 0.3, Seed = seed };
        var input = Input("shared.jsonl", p => InputGenerator.WriteFixed(p, n, PromptWords, MaxTokens, seed));
        var available = sizes.Rpm * 0.7 / 60;
        var ideal = (Math.Max(0, n - available) / available) + ResponseSeconds(sim, MaxTokens / 2.0);
        var ours = await MeasureAsync("shared key, ours (no flags)", sim, ours: true, input, n, [], Cap(ideal, 4));
        var theirs = runBaseline ? await MeasureAsync("shared key, baseline", sim, ours: false, input, n, [], Cap(ideal, 6)) : null;
        File.Delete(input);
        var eff = ours.Run.TimedOut ? 0 : ideal / ours.Run.WallSeconds;
        var figures = new List<Figure>
        {
            new("requests answered 429", Pct(ours.Stats.Share429) + $" of {ours.Stats.TotalRequests:N0}", theirs is null ? "-" : Pct(theirs.Stats.Share429) + $" of {theirs.Stats.TotalRequests:N0}", "< 2 %", ours.Stats.Share429 < 0.02),
            new("efficiency against the 70 % left", F3(eff), theirs is null || theirs.Run.TimedOut ? "-" : F3(ideal / theirs.Run.WallSeconds)),
            new("wall time (ideal)", $"{Wall(ours)} ({ideal:0.0} s)", theirs is null ? "-" : Wall(theirs)),
            new("items correct", ours.Check.Describe(), theirs?.Check.Describe() ?? "-", "all", ours.Check.AllCorrect),
        };
        return new ScenarioResult("shared key", $"{n:N0} chat requests, simulator {sim.Describe()}; ours with no limit flags", figures, []);
    }

    // ---------------------------------------------------------------- packed embeddings

    public async Task<ScenarioResult> PackingAsync()
    {
        var n = sizes.PackItems;
        const int Rpm = 600;
        const int Dimensions = 256;
        var sim = new SimSettings { Rpm = Rpm, LatencyMs = 200, PerTokenMs = 0, Seed = seed };
        var input = Input("packing.jsonl", p => InputGenerator.WriteEmbeddings(p, n, Dimensions, seed));
        var rows = new List<Figure>();
        var allMet = true;
        foreach (var pack in new int?[] { null, 100 })
        {
            var size = pack ?? 2048;
            var predicted = n / (Rpm * (double)size) * 60;
            var own = 0;
            var distinct = 0;
            var matched = 0;
            var sampled = 0;
            var run = await MeasureAsync($"packing {(pack is null ? "auto" : pack.ToString())}, ours", sim, ours: true, input, n, pack is null ? [] : ["--pack", size.ToString(C)], TimeSpan.FromMinutes(10),
                (path, baseUrl) => (own, distinct, matched, sampled) = CheckVectors(path, input, baseUrl, Dimensions));
            var requests = run.Stats.EmbeddingRequests;
            var excluded = run.Run.TimedOut ? double.NaN : run.Run.WallSeconds - _oursStartup;
            var met = run.Check.AllCorrect && matched == sampled && distinct == n && excluded <= Math.Max(predicted * 1.2, predicted + 2);
            allMet &= met;
            rows.Add(new Figure($"--pack {(pack is null ? "auto (2,048)" : pack.ToString())}: wall, start-up excluded (predicted)", $"{Wall(run)}, {excluded:0.0} s ({predicted:0.0} s); {requests:N0} requests", "-", "about predicted", met));
            rows.Add(new Figure($"--pack {(pack is null ? "auto" : pack.ToString())}: vectors", $"{run.Check.Describe()} correct, {distinct:N0} distinct, {matched}/{sampled} equal to the input sent alone", "-", "all", run.Check.AllCorrect && matched == sampled));
        }

        File.Delete(input);
        rows.Add(new Figure("--pack 1 (not run)", $"{n:N0} requests at {Rpm} RPM: {n / (double)Rpm:0.0} minutes", "-"));
        return new ScenarioResult("packing", $"{n:N0} embeddings inputs of one text each ({Dimensions} dimensions), simulator {sim.Describe()}; predicted = items / (RPM × pack) minutes", rows,
            [allMet ? "Every vector was checked against a sample of the same inputs sent alone." : "A packing figure was missed."]);
    }

    /// <summary>
    /// Checks that each custom_id got its own vector: all vectors distinct, and for a sample of 50 items the vector
    /// equals the simulator's answer to that item's input sent alone.
    /// </summary>
    private static (int Own, int Distinct, int Matched, int Sampled) CheckVectors(string output, string input, Uri baseUrl, int dimensions)
    {
        var hashes = OutputFigures.VectorHashes(output);
        var distinct = hashes.Values.Distinct(StringComparer.Ordinal).Count();
        var lines = File.ReadAllLines(input);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("Authorization", "Bearer sk-llmbatch-bench-local");
        var matched = 0;
        var sampled = 0;
        for (var i = 0; i < lines.Length; i += Math.Max(1, lines.Length / 50))
        {
            using var doc = JsonDocument.Parse(lines[i]);
            var id = doc.RootElement.GetProperty("custom_id").GetString()!;
            var body = doc.RootElement.GetProperty("body").GetRawText();
            // The limit is shared with the run that just ended: wait out the bucket rather than count refusals.
            string? alone = null;
            for (var attempt = 0; attempt < 50 && alone is null; attempt++)
            {
                using var response = http.PostAsync(new Uri(baseUrl, "v1/embeddings"), new StringContent(body, Encoding.UTF8, "application/json")).GetAwaiter().GetResult();
                if ((int)response.StatusCode == 429)
                {
                    Thread.Sleep(200);
                    continue;
                }

                using var answer = JsonDocument.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
                alone = answer.RootElement.GetProperty("data")[0].GetProperty("embedding").GetRawText();
            }

            sampled++;
            if (alone is not null && hashes.TryGetValue(id, out var hash) && hash == OutputFigures.Hash(alone))
            {
                matched++;
            }
        }

        _ = dimensions;
        return (hashes.Count, distinct, matched, sampled);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmBatch.Bench.Macro;

/// <summary>
/// The cost scenarios (issue 12): a rerun answered from the response cache, a file whose bodies repeat, a budget cap
/// and its resume, the estimate against the simulator's own count, and what cache lookups cost in CPU.
/// </summary>
internal sealed partial class Harness
{
    // Five thousand in the full run, as the issue states; a quarter of the unlimited size in --quick.
    private int CostItems => sizes.UnlimitedItems / 4;

    // ---------------------------------------------------------------- cache: a rerun into a new output

    public async Task<ScenarioResult> CacheAsync()
    {
        var n = CostItems;
        var sim = new SimSettings { LatencyMs = 20, PerTokenMs = 0, Seed = seed };
        var input = Input("cache.jsonl", p => InputGenerator.WriteDeterministic(p, n, PromptWords, MaxTokens, seed, i => i));
        var cache = Path.Combine(workDir, "cache.db");
        File.Delete(cache);
        var first = Path.Combine(workDir, "cache-first.out.jsonl");
        var second = Path.Combine(workDir, "cache-second.out.jsonl");
        await using var simulator = await SimulatorProcess.StartAsync(cli, sim);
        var run1 = await OursAsync("cache, first run", simulator, input, first, ["--cache", cache]);
        var afterFirst = await simulator.GetStatsAsync();
        var run2 = await OursAsync("cache, rerun into a new output", simulator, input, second, ["--cache", cache]);
        var afterSecond = await simulator.GetStatsAsync();
        var sent = afterSecond.TotalRequests - afterFirst.TotalRequests;
        var check = OutputChecker.Check(second, n);
        var (same, compared) = CompareApartFromMarks(first, second);
        File.Delete(input);
        File.Delete(first);
        File.Delete(second);
        File.Delete(cache);

        var figures = new List<Figure>
        {
            new("requests sent by the rerun", sent.ToString("N0", C), "-", "0", sent == 0),
            new("rerun lines identical to the first run's, llmbatch key aside", $"{same:N0}/{compared:N0}", "-", "all", same == n && compared == n),
            new("rerun items correct", check.Describe(), "-", "all", check.AllCorrect),
            new("first run: requests sent, wall", $"{afterFirst.TotalRequests:N0}, {run1.WallSeconds:0.0} s", "-"),
            new("rerun wall, CPU", $"{run2.WallSeconds:0.0} s, {run2.CpuSeconds:0.00} s", "-"),
        };
        return new ScenarioResult("cache rerun", $"{n:N0} chat requests at temperature 0, simulator latency 20 ms; run with --cache, then the same file into a new output with the same cache", figures, []);
    }

    // ---------------------------------------------------------------- dedupe: 30 % of the bodies repeat

    public async Task<ScenarioResult> DedupeAsync()
    {
        var n = CostItems;
        var distinct = n * 7 / 10;

        // Lines past the distinct ones repeat a body seen long before (not only one still in flight), spread over the file.
        var rng = new Random(seed);
        var order = Enumerable.Range(0, n).Select(i => i < distinct ? i : rng.Next(distinct)).OrderBy(_ => rng.Next()).ToArray();
        var input = Input("dedupe.jsonl", p => InputGenerator.WriteDeterministic(p, n, PromptWords, MaxTokens, seed, i => order[i]));
        var distinctInFile = order.Distinct().Count();
        var output = Path.Combine(workDir, "dedupe.out.jsonl");
        await using var simulator = await SimulatorProcess.StartAsync(cli, new SimSettings { LatencyMs = 20, PerTokenMs = 0, Seed = seed });
        var run = await OursAsync("dedupe", simulator, input, output, []);
        var stats = await simulator.GetStatsAsync();
        var check = OutputChecker.Check(output, n);
        var shared = File.ReadLines(output).Count(l => l.Contains("\"shared_with\"", StringComparison.Ordinal));
        File.Delete(input);
        File.Delete(output);

        var figures = new List<Figure>
        {
            new("requests sent / distinct bodies", $"{stats.TotalRequests:N0} / {distinctInFile:N0}", "-", "equal", stats.TotalRequests == distinctInFile),
            new("items correct (one line per custom_id)", check.Describe(), "-", "all", check.AllCorrect),
            new("lines marked shared_with", shared.ToString("N0", C), "-", (n - distinctInFile).ToString("N0", C), shared == n - distinctInFile),
            new("wall", $"{run.WallSeconds:0.0} s", "-"),
        };
        return new ScenarioResult("dedupe", $"{n:N0} chat requests at temperature 0, {n - distinctInFile:N0} of them ({100.0 * (n - distinctInFile) / n:0} %) repeat an earlier body, shuffled; default flags", figures, []);
    }

    // ---------------------------------------------------------------- budget: --max-cost at half, then a higher cap

    public async Task<ScenarioResult> BudgetAsync()
    {
        var n = CostItems / 2;
        var input = Input("budget.jsonl", p => InputGenerator.WriteDeterministic(p, n, PromptWords, MaxTokens, seed, i => i));
        var sim = new SimSettings { LatencyMs = 20, PerTokenMs = 0, Seed = seed };

        // The file's cost: a complete run against its own simulator, as its report prices it.
        decimal full;
        await using (var reference = await SimulatorProcess.StartAsync(cli, sim))
        {
            var refOut = Path.Combine(workDir, "budget-ref.out.jsonl");
            await OursAsync("budget, reference run", reference, input, refOut, ["--report-dir", Dir("budget-ref")]);
            full = ReportCost(Dir("budget-ref"));
            File.Delete(refOut);
        }

        var perRequest = (decimal)(await EstimateAsync(input))["models"]!["gpt-4o-mini"]!["online_max_cost"]!.GetValue<double>() / n;
        var cap = Math.Round(full / 2, 6);
        var output = Path.Combine(workDir, "budget.out.jsonl");
        await using var simulator = await SimulatorProcess.StartAsync(cli, sim);
        var capped = await OursAsync("budget, --max-cost half", simulator, input, output, ["--max-cost", cap.ToString(C), "--report-dir", Dir("budget-capped")]);
        var spent = ReportCost(Dir("budget-capped"));
        var written = File.ReadLines(output).Count();
        var resumed = await OursAsync("budget, rerun with a higher cap", simulator, input, output, ["--max-cost", (full * 2).ToString(C), "--report-dir", Dir("budget-rerun")]);
        var stats = await simulator.GetStatsAsync();
        var check = OutputChecker.Check(output, n);
        File.Delete(input);
        File.Delete(output);

        var gap = cap - spent;
        var figures = new List<Figure>
        {
            new("capped run: exit code", capped.ExitCode.ToString(C), "-", "1", capped.ExitCode == 1),
            new("cap - settled spend (one request at most)", $"${gap:0.000000} (one request ${perRequest:0.000000})", "-", "0 .. one request", gap >= 0 && gap <= perRequest),
            new("file cost, cap, settled spend", $"${full:0.000000}, ${cap:0.000000}, ${spent:0.000000}", "-"),
            new("lines written by the capped run", $"{written:N0} of {n:N0}", "-"),
            new("rerun: exit, items correct", $"{resumed.ExitCode}, {check.Describe()}", "-", "0, all", resumed.ExitCode == 0 && check.AllCorrect),
            new("answers paid twice (simulator's duplicate successes)", stats.DuplicateSuccesses.ToString("N0", C), "-", "0", stats.DuplicateSuccesses == 0),
        };
        return new ScenarioResult("budget", $"{n:N0} chat requests (gpt-4o-mini list prices), simulator latency 20 ms; --max-cost at half the file's cost as a complete run priced it, then the same command with twice the cost", figures, []);
    }

    // ---------------------------------------------------------------- estimate: prompt tokens against the server's count

    public async Task<ScenarioResult> EstimateScenarioAsync()
    {
        var n = sizes.TokenItems;
        var input = Input("estimate.jsonl", p => InputGenerator.WriteVariable(p, n, 150, MaxTokens, seed));
        var estimate = await EstimateAsync(input);
        var estimated = estimate["prompt_tokens"]!.GetValue<long>();
        var output = Path.Combine(workDir, "estimate.out.jsonl");
        await using var simulator = await SimulatorProcess.StartAsync(cli, new SimSettings { LatencyMs = 0, PerTokenMs = 0, Seed = seed });
        await OursAsync("estimate, run", simulator, input, output, []);
        var stats = await simulator.GetStatsAsync();
        var check = OutputChecker.Check(output, n);
        File.Delete(input);
        File.Delete(output);

        var error = stats.PromptTokens == 0 ? double.NaN : Math.Abs(estimated - stats.PromptTokens) / (double)stats.PromptTokens;
        var figures = new List<Figure>
        {
            new("estimated prompt tokens / simulator's count", $"{estimated:N0} / {stats.PromptTokens:N0}", "-"),
            new("difference", $"{error * 100:0.000} %", "-", "< 1 %", error < 0.01),
            new("estimated online cost, batch cost", $"${estimate["online_cost"]!.GetValue<double>():0.0000}, ${estimate["batch_cost"]!.GetValue<double>():0.0000}", "-"),
            new("items correct", check.Describe(), "-", "all", check.AllCorrect),
        };
        return new ScenarioResult("estimate", $"{n:N0} chat requests, prompts 10 to 3,000 words (lognormal, median 150); `llmbatch validate --json` before the run, the simulator's prompt_tokens after", figures, []);
    }

    // ---------------------------------------------------------------- CPU of cache lookups on the unlimited benchmark

    public async Task<ScenarioResult> CacheCpuAsync()
    {
        var n = sizes.UnlimitedItems;
        var input = Input("cachecpu.jsonl", p => InputGenerator.WriteDeterministic(p, n, PromptWords, MaxTokens, seed, i => i));
        var sim = new SimSettings { LatencyMs = 0, PerTokenMs = 0, Seed = seed };
        var plain = new List<double>();
        var cold = new List<double>();
        var warm = new List<double>();
        var allCorrect = true;

        // One simulator for every run: the cache key holds the base URL, so a new simulator (a new port) would miss.
        await using var simulator = await SimulatorProcess.StartAsync(cli, sim);
        for (var round = 0; round < 3; round++)
        {
            // Alternated in each round, so a slow spell of the shared machine falls on every configuration alike.
            plain.Add(await CpuPerRequestAsync($"cache CPU {round + 1}/3, no cache", input, n, []));
            var cache = Path.Combine(workDir, "cachecpu.db");
            File.Delete(cache);
            cold.Add(await CpuPerRequestAsync($"cache CPU {round + 1}/3, empty cache (lookup + store)", input, n, ["--cache", cache]));
            warm.Add(await CpuPerRequestAsync($"cache CPU {round + 1}/3, full cache (every item a hit)", input, n, ["--cache", cache]));
            File.Delete(cache);
        }

        File.Delete(input);
        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        var p = Median(plain);
        var c = Median(cold);
        var w = Median(warm);
        // Paired by round: the machine's load drifts between rounds more than between the runs of one round.
        var overheadUs = Median(Enumerable.Range(0, 3).Select(i => cold[i] - plain[i]).ToList());
        var overhead = overheadUs / p;
        var figures = new List<Figure>
        {
            new("CPU per request, no cache", $"{p:0} us", "-"),
            new("CPU per request, empty cache (every lookup a miss, every answer stored)", $"{c:0} us", "-"),
            new("lookup + store overhead per request (cold cache; median of the rounds' differences)", $"{overheadUs:0} us = {overhead * 100:0.0} % of the request", "-"),
            new("CPU per item, full cache (nothing sent)", $"{w:0} us ({w / p:0.00} of a sent request)", "-", "< 1 request", w < p),
            new("rounds (median of 3)", string.Join("; ", Enumerable.Range(0, 3).Select(i => $"{plain[i]:0}/{cold[i]:0}/{warm[i]:0}")), "-"),
        };
        figures.Add(new("items correct, every run", allCorrect ? "all" : "not all", "-", "all", allCorrect));
        return new ScenarioResult("cache CPU", $"{n:N0} chat requests at temperature 0, no limits, simulator latency 0 (the unlimited scenario); client CPU (user+sys) per request, start-up included, median of 3 alternating rounds", figures, []);

        async Task<double> CpuPerRequestAsync(string label, string file, int count, string[] extra)
        {
            var output = Path.Combine(workDir, "cachecpu.out.jsonl");
            File.Delete(output);
            var run = await OursAsync(label, simulator, file, output, [.. extra, "--no-report"]);
            var check = OutputChecker.Check(output, count);
            allCorrect &= check.AllCorrect;
            File.Delete(output);
            return run.CpuSeconds / count * 1e6;
        }
    }

    // ---------------------------------------------------------------- helpers

    private async Task<RunMeasurement> OursAsync(string label, SimulatorProcess simulator, string input, string output, string[] extra)
    {
        log.Write($"  {label} ...");
        var (exe, args) = Command(ours: true, input, output, simulator.BaseUrl, extra);
        var run = await ClientRunner.RunAsync(exe, args, workDir, TimeSpan.FromMinutes(5));
        log.WriteLine(run.TimedOut ? " did not finish" : $" {run.WallSeconds:0.0} s, exit {run.ExitCode}, CPU {run.CpuSeconds:0.00} s");
        if (run.ExitCode is not (0 or 1) || run.TimedOut)
        {
            log.WriteLine("    last output: " + run.LogTail.Replace("\n", "\n    ", StringComparison.Ordinal));
        }

        return run;
    }

    private async Task<JsonNode> EstimateAsync(string input)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(cli, ["validate", input, "--json"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return JsonNode.Parse(await stdout)!["estimate"]!;
    }

    private string Dir(string name)
    {
        var dir = Path.Combine(workDir, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static decimal ReportCost(string reportDir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(reportDir, "summary.json")));
        return doc.RootElement.GetProperty("cost").GetProperty("total").GetDecimal();
    }

    // Lines of both files by custom_id, compared as JSON text once the llmbatch key is removed.
    private static (int Same, int Compared) CompareApartFromMarks(string a, string b)
    {
        var first = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(a))
        {
            var node = JsonNode.Parse(line)!.AsObject();
            node.Remove("llmbatch");
            first[node["custom_id"]!.GetValue<string>()] = node.ToJsonString();
        }

        int same = 0, compared = 0;
        foreach (var line in File.ReadLines(b))
        {
            var node = JsonNode.Parse(line)!.AsObject();
            var cached = node["llmbatch"]?["cached"]?.GetValue<bool>() == true;
            node.Remove("llmbatch");
            compared++;
            if (cached && first.TryGetValue(node["custom_id"]!.GetValue<string>(), out var earlier) && earlier == node.ToJsonString())
            {
                same++;
            }
        }

        return (same, compared);
    }
}

namespace LlmBatch.Bench.Macro;

/// <summary>
/// Issue 11's scale-out: the owner (<c>run --redis</c>) plus three <c>llmbatch worker</c> processes share one job
/// against a simulator enforcing the request limit, next to the single-process run of the same file: items correct,
/// 429s, time against the ideal, CPU per item over every process; then the same with one worker <c>kill -9</c>ed at
/// 40 %: items correct and requests paid twice against that worker's in-flight bound.
/// </summary>
internal sealed partial class Harness
{
    private const int RedisWorkers = 3;
    private const int WorkerConcurrency = 16;

    public async Task<ScenarioResult> RedisScaleOutAsync()
    {
        var n = sizes.RateItems;
        var sim = new SimSettings { Rpm = sizes.Rpm, Seed = seed };
        var input = Input("redis.jsonl", p => InputGenerator.WriteFixed(p, n, PromptWords, MaxTokens, seed));
        var rpm = sizes.Rpm.ToString(C);
        var cap = Cap(IdealRequests(n, sim, MaxTokens / 2.0), 4);
        var single = await MeasureAsync("redis: single process, --rpm", sim, ours: true, input, n, ["--rpm", rpm], cap);
        var (shared, sharedCpu) = await ScaleOutAsync("redis: owner + 3 workers", sim, input, n, rpm, cap, killAt: null);
        var (killed, _) = await ScaleOutAsync("redis: owner + 3 workers, one kill -9 at 40 %", sim, input, n, rpm, cap, killAt: 0.4);
        File.Delete(input);

        var ideal = IdealRequests(shared.Stats, sim);
        var eff = shared.Run.TimedOut ? 0 : ideal / shared.Run.WallSeconds;
        var singleCpu = single.Run.CpuSeconds / n * 1e6;
        var resent = killed.Stats.DuplicateSuccesses;
        var figures = new List<Figure>
        {
            new("items correct (owner + 3 workers)", shared.Check.Describe(), single.Check.Describe() + " (single process)", "all", shared.Check.AllCorrect),
            new("requests answered 429", Pct(shared.Stats.Share429) + $" of {shared.Stats.TotalRequests:N0}", Pct(single.Stats.Share429) + " (single process)", "< 1 %", shared.Stats.Share429 < 0.01),
            new("efficiency (ideal/wall)", F3(eff) + $" ({Wall(shared)}, ideal {ideal:0.0} s)", F3(IdealRequests(single.Stats, sim) / single.Run.WallSeconds) + " (single process)", ">= 0.90", !shared.Run.TimedOut && eff >= 0.9),
            new("CPU per item, every process", $"{sharedCpu / n * 1e6:0} us", $"{singleCpu:0} us (single process)"),
            new("items correct after a worker's kill -9 at 40 %", killed.Check.Describe(), "-", "all", killed.Check.AllCorrect),
            new("requests paid twice after the kill", resent.ToString(C), "-", $"<= {WorkerConcurrency} (its --concurrency)", resent <= WorkerConcurrency),
            new("429s with the kill", Pct(killed.Stats.Share429), "-"),
        };
        return new ScenarioResult("redis", $"{n:N0} chat requests, simulator {sim.Describe()}; `run --redis --rpm {rpm} --concurrency {WorkerConcurrency}` plus {RedisWorkers} × `worker --redis --concurrency {WorkerConcurrency} --once`, all on this machine; the right column is the single-process run of the same file", figures,
            ["Every participant draws on the one rate budget in Redis (its endpoint and key hash, the job's share)."]);
    }

    private async Task<(Measured Run, double CpuSeconds)> ScaleOutAsync(string label, SimSettings sim, string input, int n, string rpm, TimeSpan cap, double? killAt)
    {
        var output = Path.Combine(workDir, $"redis-{Guid.NewGuid():N}.out.jsonl");
        log.Write($"  {label} ...");
        await using var redis = await RedisServerProcess.StartAsync();
        await using var simulator = await SimulatorProcess.StartAsync(cli, sim);
        string[] workerArgs = ["worker", "--redis", redis.Url, "--concurrency", WorkerConcurrency.ToString(C), "--once", "-q"];
        var workers = new List<Task<RunMeasurement>>();
        Task<(bool Killed, int ExitCode)>? victim = null;
        for (var i = 0; i < RedisWorkers; i++)
        {
            if (i == 0 && killAt is { } share)
            {
                var threshold = (long)(n * share);
                victim = ClientRunner.RunAndKillWhenAsync(cli, workerArgs, () => CountLines(output) >= threshold, cap);
            }
            else
            {
                workers.Add(ClientRunner.RunAsync(cli, workerArgs, workDir, cap));
            }
        }

        var url = simulator.BaseUrl.ToString().TrimEnd('/');
        var owner = await ClientRunner.RunAsync(cli,
            ["run", input, "-o", output, "--base-url", url, "--redis", redis.Url, "--rpm", rpm, "--concurrency", WorkerConcurrency.ToString(C), "--lease", "5s", "--progress", "none", "--no-report"],
            workDir, cap);
        var done = await Task.WhenAll(workers);
        if (victim is not null)
        {
            await victim;
        }

        var stats = await simulator.GetStatsAsync();
        var check = OutputChecker.Check(output, n);
        File.Delete(output);
        var cpu = owner.CpuSeconds + done.Sum(w => w.CpuSeconds);
        log.WriteLine(owner.TimedOut
            ? $" did not finish in {cap.TotalSeconds:0} s"
            : $" {owner.WallSeconds:0.0} s, exit {owner.ExitCode}, {check.Describe()} correct, 429 {stats.RateLimited:N0}/{stats.TotalRequests:N0}, paid twice {stats.DuplicateSuccesses:N0}, CPU {cpu:0.00} s");
        if (owner.ExitCode is not (0 or 1) || owner.TimedOut)
        {
            log.WriteLine("    last output: " + owner.LogTail.Replace("\n", "\n    ", StringComparison.Ordinal));
        }

        return (new Measured(owner, stats, check), cpu);
    }

    private static long CountLines(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Span<byte> buffer = stackalloc byte[64 * 1024];
            long lines = 0;
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                lines += buffer[..read].Count((byte)'\n');
            }

            return lines;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}

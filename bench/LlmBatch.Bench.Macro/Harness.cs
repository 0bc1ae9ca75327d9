using System.Globalization;

namespace LlmBatch.Bench.Macro;

/// <summary>
/// The macro scenarios. Each measured run gets a fresh simulator with the scenario's settings, then the client runs
/// as a real process from the built binaries; figures come from the harness's stopwatch, the kernel's accounting of
/// the child, the simulator's <c>/stats</c> and a check of the output file.
/// </summary>
internal sealed partial class Harness(string cli, string baseline, string floor, string workDir, BenchSizes sizes, int seed, int maxConcurrency, bool runBaseline, TextWriter log)
{
    private const int PromptWords = 20;
    private const int MaxTokens = 64;
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private sealed record Measured(RunMeasurement Run, SimStats Stats, OutputCheck Check);

    private double _oursStartup = double.NaN;
    private double _theirStartup = double.NaN;

    /// <summary>
    /// Wall time of a one-item run against a simulator that answers at once: the fixed cost of starting the process
    /// (runtime, JIT, tokenizer load, opening files) that every run pays once. Printed beside the efficiency so a
    /// reader can tell a fixed start-up cost from pacing lost during the run.
    /// </summary>
    public async Task MeasureStartupAsync()
    {
        var sim = new SimSettings { LatencyMs = 0, PerTokenMs = 0, Seed = seed };
        var one = Input("startup.jsonl", p => InputGenerator.WriteFixed(p, 1, PromptWords, MaxTokens, seed + 2));
        _oursStartup = (await MeasureAsync("start-up, ours (one item)", sim, ours: true, one, 1, [], TimeSpan.FromMinutes(1))).Run.WallSeconds;
        if (runBaseline)
        {
            _theirStartup = (await MeasureAsync("start-up, baseline (one item)", sim, ours: false, one, 1, [], TimeSpan.FromMinutes(1))).Run.WallSeconds;
        }

        File.Delete(one);
    }

    // ---------------------------------------------------------------- rate-limited and learned (requests)

    public async Task<IReadOnlyList<ScenarioResult>> RateLimitedAsync()
    {
        var n = sizes.RateItems;
        var sim = new SimSettings { Rpm = sizes.Rpm, Seed = seed };
        var input = Input("rate.jsonl", p => InputGenerator.WriteFixed(p, n, PromptWords, MaxTokens, seed));
        var estimate = IdealRequests(n, sim, MaxTokens / 2.0);
        var capOurs = Cap(estimate, 4);
        var rpm = sizes.Rpm.ToString(C);

        var fixedRun = await MeasureAsync("rate-limited, ours with --rpm", sim, ours: true, input, n, ["--rpm", rpm], capOurs);
        var learnedRun = await MeasureAsync("rate-limited, ours learning", sim, ours: true, input, n, [], capOurs);
        var baseRun = runBaseline ? await MeasureAsync("rate-limited, baseline", sim, ours: false, input, n, [], Cap(estimate, 6)) : null;
        File.Delete(input);

        var setup = $"{n:N0} chat requests, simulator {sim.Describe()}, burst {sim.BurstSeconds} s";
        var baseIdeal = baseRun is null ? double.NaN : IdealRequests(baseRun.Stats, sim);
        return
        [
            LimitedResult("rate-limited", setup + $"; ours with --rpm {rpm}", fixedRun, IdealRequests(fixedRun.Stats, sim), baseRun, baseIdeal, 0.97),
            LimitedResult("learned (rpm)", setup + "; ours with no limit flags", learnedRun, IdealRequests(learnedRun.Stats, sim), baseRun, baseIdeal, 0.93,
                "The baseline has no limit flags in any case: its figures are those of the rate-limited row's run."),
        ];
    }

    // ---------------------------------------------------------------- token-limited and learned (tokens)

    public async Task<IReadOnlyList<ScenarioResult>> TokenLimitedAsync()
    {
        var n = sizes.TokenItems;
        long estimatedTokens = 0;
        var input = Input("tokens.jsonl", p => estimatedTokens = InputGenerator.WriteVariable(p, n, 150, MaxTokens, seed));
        // Aim the budget so the ideal time is about TokenIdealSeconds, counting the 1 s burst credit.
        var tpm = (long)Math.Round(estimatedTokens / (sizes.TokenIdealSeconds + 1) * 60 / 1000) * 1000;
        var sim = new SimSettings { Tpm = tpm, Seed = seed };
        var capOurs = Cap(sizes.TokenIdealSeconds, 4);
        var tpmText = tpm.ToString(C);

        var fixedRun = await MeasureAsync("token-limited, ours with --tpm", sim, ours: true, input, n, ["--tpm", tpmText], capOurs);
        var learnedRun = await MeasureAsync("token-limited, ours learning", sim, ours: true, input, n, [], capOurs);
        var baseRun = runBaseline ? await MeasureAsync("token-limited, baseline", sim, ours: false, input, n, [], Cap(sizes.TokenIdealSeconds, 6)) : null;
        File.Delete(input);

        var setup = $"{n:N0} chat requests, prompts 10 to 3,000 words (lognormal, median 150), max_tokens {MaxTokens}, simulator {sim.Describe()}";
        var baseIdeal = baseRun is null ? double.NaN : IdealTokens(baseRun.Stats, sim);
        return
        [
            LimitedResult("token-limited", setup + $"; ours with --tpm {tpmText}", fixedRun, IdealTokens(fixedRun.Stats, sim), baseRun, baseIdeal, 0.93),
            LimitedResult("learned (tpm)", setup + "; ours with no limit flags", learnedRun, IdealTokens(learnedRun.Stats, sim), baseRun, baseIdeal, 0.93,
                "The baseline has no limit flags in any case: its figures are those of the token-limited row's run."),
        ];
    }

    private ScenarioResult LimitedResult(string name, string setup, Measured ours, double ideal, Measured? theirs, double theirIdeal, double target, params string[] notes)
    {
        var eff = ours.Run.TimedOut ? 0 : ideal / ours.Run.WallSeconds;
        var figures = new List<Figure>
        {
            new("efficiency (ideal/wall)", F3(eff), theirs is null ? "-" : theirs.Run.TimedOut ? DidNotFinish(theirs) : F3(theirIdeal / theirs.Run.WallSeconds), $">= {target:0.00}", !ours.Run.TimedOut && eff >= target),
            new("wall time (ideal)", Wall(ours) + $" ({ideal:0.0} s)", theirs is null ? "-" : Wall(theirs) + $" ({theirIdeal:0.0} s)"),
            new("efficiency, start-up excluded", double.IsNaN(_oursStartup) || ours.Run.TimedOut ? "-" : F3(ideal / (ours.Run.WallSeconds - _oursStartup)) + $" (start-up {_oursStartup:0.0} s)",
                theirs is null || double.IsNaN(_theirStartup) || theirs.Run.TimedOut ? "-" : F3(theirIdeal / (theirs.Run.WallSeconds - _theirStartup)) + $" (start-up {_theirStartup:0.0} s)"),
            new("requests answered 429", Pct(ours.Stats.Share429) + $" of {ours.Stats.TotalRequests:N0}", theirs is null ? "-" : Pct(theirs.Stats.Share429) + $" of {theirs.Stats.TotalRequests:N0}", "< 1 %", ours.Stats.Share429 < 0.01),
            new("items correct", ours.Check.Describe(), theirs?.Check.Describe() ?? "-", "all", ours.Check.AllCorrect),
        };
        return new ScenarioResult(name, setup, figures, notes);
    }

    // ---------------------------------------------------------------- unlimited

    public async Task<ScenarioResult> UnlimitedAsync()
    {
        var n = sizes.UnlimitedItems;
        var sim = new SimSettings { LatencyMs = 0, PerTokenMs = 0, Seed = seed };
        var input = Input("unlimited.jsonl", p => InputGenerator.WriteFixed(p, n, PromptWords, MaxTokens, seed));
        var one = Input("unlimited-one.jsonl", p => InputGenerator.WriteFixed(p, 1, PromptWords, MaxTokens, seed + 1));
        var ours = await MeasureAsync("unlimited, ours", sim, ours: true, input, n, [], TimeSpan.FromMinutes(5));
        var oursOne = await MeasureAsync("unlimited, ours, one item (start-up)", sim, ours: true, one, 1, [], TimeSpan.FromMinutes(1));
        Measured? theirs = null, theirOne = null;
        if (runBaseline)
        {
            theirs = await MeasureAsync("unlimited, baseline", sim, ours: false, input, n, [], TimeSpan.FromMinutes(5));
            theirOne = await MeasureAsync("unlimited, baseline, one item (start-up)", sim, ours: false, one, 1, [], TimeSpan.FromMinutes(1));
        }

        File.Delete(input);
        File.Delete(one);

        var oursCpu = ours.Run.CpuSeconds / n * 1e6;
        var theirCpu = theirs is null ? double.NaN : theirs.Run.CpuSeconds / n * 1e6;
        // Start-up (runtime, JIT, tokenizer load) is a fixed cost: what each further request costs is the difference.
        var oursMarginal = (ours.Run.CpuSeconds - oursOne.Run.CpuSeconds) / (n - 1) * 1e6;
        var theirMarginal = theirs is null || theirOne is null ? double.NaN : (theirs.Run.CpuSeconds - theirOne.Run.CpuSeconds) / (n - 1) * 1e6;
        var haveBase = theirs is not null && !theirs.Run.TimedOut;
        var figures = new List<Figure>
        {
            new("client CPU per request (whole process)", $"{oursCpu:0} us", theirs is null ? "-" : theirs.Run.TimedOut ? DidNotFinish(theirs) : $"{theirCpu:0} us",
                "<= 1/3 of baseline", haveBase ? oursCpu <= theirCpu / 3 : null),
            new("client CPU per request beyond start-up", $"{oursMarginal:0} us", haveBase ? $"{theirMarginal:0} us" : "-",
                "<= 1/3 of baseline", haveBase ? oursMarginal <= theirMarginal / 3 : null),
            new("start-up CPU (one-item run)", $"{oursOne.Run.CpuSeconds:0.00} s", theirOne is null ? "-" : $"{theirOne.Run.CpuSeconds:0.00} s"),
            new("CPU ratio ours/baseline (whole, beyond start-up)", haveBase ? $"{oursCpu / theirCpu:0.00}, {oursMarginal / theirMarginal:0.00}" : "-", haveBase ? "1.00, 1.00" : "-"),
            new("requests/s", $"{n / ours.Run.WallSeconds:N0}", theirs is null ? "-" : $"{n / theirs.Run.WallSeconds:N0}"),
            new("items correct", ours.Check.Describe(), theirs?.Check.Describe() ?? "-", "all", ours.Check.AllCorrect),
        };
        return new ScenarioResult("unlimited", $"{n:N0} chat requests, no limits, simulator answers at once (latency 0); CPU = user+sys of the client process (wait4), startup included", figures,
            ["The simulator runs on the same 2 cores, so requests/s is bounded by both processes; CPU per request counts the client alone."]);
    }

    // ---------------------------------------------------------------- faults

    public async Task<ScenarioResult> FaultsAsync()
    {
        var n = sizes.FaultItems;
        var clean = new SimSettings { Seed = seed };
        var faulty = clean with { P500 = 0.05, P503 = 0.03, PTruncate = 0.01, PReset = 0.01, PHang = 0.005, HangSeconds = sizes.HangSeconds };
        var input = Input("faults.jsonl", p => InputGenerator.WriteFixed(p, n, PromptWords, MaxTokens, seed));
        var cap = TimeSpan.FromMinutes(5);
        var oursClean = await MeasureAsync("faults, ours fault-free", clean, ours: true, input, n, [], cap);
        var oursFaulty = await MeasureAsync("faults, ours with faults", faulty, ours: true, input, n, [], cap);
        Measured? theirClean = null, theirFaulty = null;
        if (runBaseline)
        {
            theirClean = await MeasureAsync("faults, baseline fault-free", clean, ours: false, input, n, [], cap);
            theirFaulty = await MeasureAsync("faults, baseline with faults", faulty, ours: false, input, n, [], cap);
        }

        File.Delete(input);
        var ratio = oursFaulty.Run.WallSeconds / oursClean.Run.WallSeconds;
        var figures = new List<Figure>
        {
            new("items correct", oursFaulty.Check.Describe(), theirFaulty?.Check.Describe() ?? "-", "all", oursFaulty.Check.AllCorrect),
            new("wall with faults / fault-free", oursFaulty.Run.TimedOut ? DidNotFinish(oursFaulty) : $"{ratio:0.00}",
                theirFaulty is null || theirClean is null ? "-" : theirFaulty.Run.TimedOut ? DidNotFinish(theirFaulty) : $"{theirFaulty.Run.WallSeconds / theirClean.Run.WallSeconds:0.00}",
                "<= 1.5", !oursFaulty.Run.TimedOut && ratio <= 1.5),
            new("wall with faults (fault-free)", $"{Wall(oursFaulty)} ({Wall(oursClean)})", theirFaulty is null || theirClean is null ? "-" : $"{Wall(theirFaulty)} ({Wall(theirClean)})"),
            new("faults injected / requests", $"{oursFaulty.Stats.FaultsInjected:N0} / {oursFaulty.Stats.TotalRequests:N0}", theirFaulty is null ? "-" : $"{theirFaulty.Stats.FaultsInjected:N0} / {theirFaulty.Stats.TotalRequests:N0}"),
            new("items correct, fault-free run", oursClean.Check.Describe(), theirClean?.Check.Describe() ?? "-", "all", oursClean.Check.AllCorrect),
        };
        return new ScenarioResult("faults", $"{n:N0} chat requests, no limits, simulator {faulty.Describe()}; both clients with default settings", figures, []);
    }

    // ---------------------------------------------------------------- crash and resume

    public async Task<ScenarioResult> CrashAsync()
    {
        var n = sizes.CrashItems;
        var sim = new SimSettings { Rpm = sizes.Rpm, Seed = seed };
        var input = Input("crash.jsonl", p => InputGenerator.WriteFixed(p, n, PromptWords, MaxTokens, seed));
        var ideal = IdealRequests(n, sim, MaxTokens / 2.0);
        // The kill lands somewhere between 20 % and 80 % of the ideal run, chosen by the seed.
        var killAt = TimeSpan.FromSeconds(ideal * (0.2 + (0.6 * new Random(seed).NextDouble())));
        var ours = await CrashRunAsync(sim, ours: true, input, n, ["--rpm", sizes.Rpm.ToString(C)], killAt, Cap(ideal, 4));
        var theirs = runBaseline ? await CrashRunAsync(sim, ours: false, input, n, [], killAt, Cap(ideal, 6)) : null;
        File.Delete(input);

        var figures = new List<Figure>
        {
            new("lost", ours.Final.Lost.ToString(C), theirs?.Final.Lost.ToString(C) ?? "-", "0", ours.Final.Lost == 0),
            new("duplicated", ours.Final.Duplicated.ToString(C), theirs?.Final.Duplicated.ToString(C) ?? "-", "0", ours.Final.Duplicated == 0),
            new("torn lines after resume", ours.Final.Torn.ToString(C), theirs?.Final.Torn.ToString(C) ?? "-", "0", ours.Final.Torn == 0),
            new("re-sent (answered twice)", $"{ours.Resent} (in flight <= {ours.InFlightBound})", theirs is null ? "-" : $"{theirs.Resent} (in flight <= {theirs.InFlightBound})",
                "<= in flight", ours.Resent <= ours.InFlightBound),
            new("lines written before the kill", $"{ours.WrittenAtKill:N0} (answered {ours.AnsweredAtKill:N0})", theirs is null ? "-" : $"{theirs.WrittenAtKill:N0} (answered {theirs.AnsweredAtKill:N0})"),
            new("items correct after resume", ours.Final.Describe(), theirs?.Final.Describe() ?? "-", "all", ours.Final.AllCorrect && !ours.RerunTimedOut),
        };
        return new ScenarioResult("crash and resume", $"{n:N0} chat requests at {sizes.Rpm:N0} RPM (ours with --rpm), kill -9 at {killAt.TotalSeconds:0.0} s, then the same command again against the same simulator", figures,
            ["Re-sent = the simulator's count of successful answers to a body it had already answered. In flight is capped by --max-concurrency and by the simulator's peak in-flight figure.",
             "The baseline has no resume: rerunning it starts over and overwrites its output, which is what its re-sent figure shows."]);
    }

    private sealed record CrashOutcome(OutputCheck Final, long Resent, long InFlightBound, int WrittenAtKill, long AnsweredAtKill, bool RerunTimedOut);

    private async Task<CrashOutcome> CrashRunAsync(SimSettings sim, bool ours, string input, int n, string[] extra, TimeSpan killAt, TimeSpan cap)
    {
        var who = ours ? "ours" : "baseline";
        var output = Path.Combine(workDir, $"crash-{who}.out.jsonl");
        File.Delete(output);
        await using var simulator = await SimulatorProcess.StartAsync(cli, sim);
        var (exe, args) = Command(ours, input, output, simulator.BaseUrl, extra);
        log.WriteLine($"  crash, {who}: kill -9 at {killAt.TotalSeconds:0.0} s");
        var first = await ClientRunner.RunAndKillAsync(exe, args, killAt, cap);
        if (first.ExitCode != -1)
        {
            log.WriteLine($"  crash, {who}: finished (exit {first.ExitCode}) before the kill at {killAt.TotalSeconds:0.0} s");
        }

        // Answers already on their way land at the simulator (it counts them) while the client is gone.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var atKill = await simulator.GetStatsAsync();
        var written = OutputChecker.Check(output, n);
        log.WriteLine($"  crash, {who}: rerun");
        var rerun = await ClientRunner.RunAsync(exe, args, workDir, cap);
        var end = await simulator.GetStatsAsync();
        var final = OutputChecker.Check(output, n);
        File.Delete(output);
        return new CrashOutcome(final, end.DuplicateSuccesses, Math.Min(maxConcurrency, end.MaxInFlight), written.Correct + written.Failed, atKill.ChatOk, rerun.TimedOut);
    }

    // ---------------------------------------------------------------- the provider's Batch API

    /// <summary>
    /// The same chat file through the simulator's Batch API (<c>--mode batch</c>): once as it is (3 batch files at full
    /// size), once under an enqueued-token limit of a third of the job's prompt tokens (waves), once killed with
    /// kill -9 half-way through downloading the results and run again. The baseline column is the same file sent online
    /// by the same client with no limits: what the Batch API saves the client, and what it costs in waiting.
    /// </summary>
    public async Task<IReadOnlyList<ScenarioResult>> BatchAsync()
    {
        var n = sizes.BatchItems;
        var sim = new SimSettings { LatencyMs = 0, PerTokenMs = 0, Seed = seed, BatchSeconds = 10 };
        var input = Input("batch.jsonl", p => InputGenerator.WriteFixed(p, n, PromptWords, MaxTokens, seed));
        var perFile = sizes.BatchFileRequests.ToString(C);
        string[] batch = ["--mode", "batch", "--poll-interval", "500ms", "--batch-max-requests", perFile, "--progress", "plain"];
        var cap = TimeSpan.FromMinutes(15);

        var plain = await MeasureAsync("batch mode", sim, ours: true, input, n, batch, cap);
        var online = runBaseline ? await MeasureAsync("the same online", sim with { BatchSeconds = 0 }, ours: true, input, n, [], cap) : null;
        var files = (n + sizes.BatchFileRequests - 1) / sizes.BatchFileRequests;
        string Cpu(Measured m) => $"{m.Run.CpuSeconds:0.0} s";
        string Rss(Measured m) => $"{m.Run.MaxRssMb:0} MB";
        var results = new List<ScenarioResult>
        {
            new("batch mode", $"{n:N0} chat requests through the Batch API, {perFile} per file, simulator {sim.Describe()}; baseline column: the same file online (--mode online), no limits", [
                new("items correct", plain.Check.Describe(), online?.Check.Describe() ?? "-", "all", plain.Check.AllCorrect),
                new("batch files (uploads / batches)", $"{plain.Stats.FilesUploaded} / {plain.Stats.BatchesCreated}", "-", files.ToString(C), plain.Stats.FilesUploaded == files && plain.Stats.BatchesCreated == files),
                new("uploaded twice / created twice / answered twice", $"{plain.Stats.DuplicateUploads} / {plain.Stats.DuplicateBatches} / {plain.Stats.DuplicateSuccesses}", online is null ? "-" : $"- / - / {online.Stats.DuplicateSuccesses}", "0 / 0 / 0",
                    plain.Stats.DuplicateUploads + plain.Stats.DuplicateBatches + plain.Stats.DuplicateSuccesses == 0),
                new("wall time", Wall(plain), online is null ? "-" : Wall(online)),
                new("client CPU", Cpu(plain), online is null ? "-" : Cpu(online)),
                new("client peak RSS", Rss(plain), online is null ? "-" : Rss(online)),
            ], ["Wall time in batch mode is mostly the simulated turnaround: every batch takes 10 s once created."]),
        };

        // A third of the job's prompt tokens, as the simulator counted them in the first run.
        var limit = Math.Max(1, plain.Stats.PromptTokens / 3);
        var waves = await MeasureAsync("batch mode, enqueued-token limit a third of the job", sim with { BatchEnqueuedTokens = limit }, ours: true, input, n, batch, cap);
        results.Add(new ScenarioResult("batch waves", $"the same file and settings under an enqueued-token limit of {limit:N0} tokens per model (a third of the job's {plain.Stats.PromptTokens:N0} prompt tokens)", [
            new("items correct", waves.Check.Describe(), "-", "all", waves.Check.AllCorrect && waves.Run.ExitCode == 0),
            new("refused (token_limit_exceeded) / batches created", $"{waves.Stats.TokenLimitRejected} / {waves.Stats.BatchesCreated}", "-"),
            new("batch files uploaded", waves.Stats.FilesUploaded.ToString(C), "-"),
            new("created twice / answered twice", $"{waves.Stats.DuplicateBatches} / {waves.Stats.DuplicateSuccesses}", "-", "0 / 0", waves.Stats.DuplicateBatches + waves.Stats.DuplicateSuccesses == 0),
            new("wall time", Wall(waves), Wall(plain) + " (no limit)"),
        ], ["A file refused while nothing else of the job was enqueued is too big for the limit on its own: it is split in two, so more files are uploaded than at first; none twice."]));

        results.Add(await BatchCrashAsync(input, n, batch, sim, cap));
        File.Delete(input);
        return results;
    }

    // kill -9 while the results stream in (the simulator spreads each download over two seconds), then the same command.
    private async Task<ScenarioResult> BatchCrashAsync(string input, int n, string[] batch, SimSettings plainSim, TimeSpan cap)
    {
        var sim = plainSim with { BatchApiLatencyMs = 2000 };
        var output = Path.Combine(workDir, "batch-crash.out.jsonl");
        File.Delete(output);
        File.Delete(output + ".batches.json");
        await using var simulator = await SimulatorProcess.StartAsync(cli, sim);
        var (exe, args) = Command(ours: true, input, output, simulator.BaseUrl, batch);
        log.WriteLine("  batch mode, kill -9 during a download ...");
        var (killed, _) = await ClientRunner.RunAndKillWhenAsync(exe, args, () => File.Exists(output) && new FileInfo(output).Length > 0, cap);
        var atKill = OutputChecker.Check(output, n);
        var rerun = await ClientRunner.RunAsync(exe, args, workDir, cap);
        var stats = await simulator.GetStatsAsync();
        var final = OutputChecker.Check(output, n);
        File.Delete(output);
        log.WriteLine($"  killed: {killed} with {atKill.Correct:N0} lines written; rerun {rerun.WallSeconds:0.0} s, exit {rerun.ExitCode}, {final.Describe()} correct");
        return new ScenarioResult("batch crash", $"the same file, kill -9 of the client while it downloaded results ({atKill.Correct:N0} of {n:N0} lines written), then the same command against the same simulator", [
            new("killed during a download", killed ? $"yes, {atKill.Correct:N0} lines in" : "no (finished first)", "-", "yes", killed && atKill.Correct is > 0 && atKill.Correct < n),
            new("lost / duplicated / torn", $"{final.Lost} / {final.Duplicated} / {final.Torn}", "-", "0 / 0 / 0", final.Lost + final.Duplicated + final.Torn == 0),
            new("uploaded twice / created twice / answered twice", $"{stats.DuplicateUploads} / {stats.DuplicateBatches} / {stats.DuplicateSuccesses}", "-", "0 / 0 / 0", stats.DuplicateUploads + stats.DuplicateBatches + stats.DuplicateSuccesses == 0),
            new("items correct after the rerun", final.Describe(), "-", "all", final.AllCorrect && rerun.ExitCode == 0),
        ], []);
    }

    // ---------------------------------------------------------------- memory

    public async Task<ScenarioResult> MemoryAsync()
    {
        var sim = new SimSettings { LatencyMs = 0, PerTokenMs = 0, Seed = seed };
        var small = sizes.MemorySmall;
        var large = sizes.MemoryLarge;
        var smallInput = Input("mem-small.jsonl", p => InputGenerator.WriteFixed(p, small, PromptWords, MaxTokens, seed));
        var largeInput = Input("mem-large.jsonl", p => InputGenerator.WriteFixed(p, large, PromptWords, MaxTokens, seed));
        var cap = TimeSpan.FromMinutes(8);
        var oursSmall = await MeasureAsync($"memory {small:N0}, ours", sim, ours: true, smallInput, small, [], cap);
        var oursLarge = await MeasureAsync($"memory {large:N0}, ours", sim, ours: true, largeInput, large, [], cap);

        // The largest size for ours only: the baseline's memory grows with the count (it is not the target here), and
        // at a million items its run would take minutes more.
        var huge = sizes.MemoryHuge;
        var hugeInput = Input("mem-huge.jsonl", p => InputGenerator.WriteFixed(p, huge, PromptWords, MaxTokens, seed));
        var oursHuge = await MeasureAsync($"memory {huge:N0}, ours", sim, ours: true, hugeInput, huge, [], TimeSpan.FromMinutes(20));
        File.Delete(hugeInput);
        Measured? theirSmall = null, theirLarge = null;
        if (runBaseline)
        {
            theirSmall = await MeasureAsync($"memory {small:N0}, baseline", sim, ours: false, smallInput, small, [], cap);
            theirLarge = await MeasureAsync($"memory {large:N0}, baseline", sim, ours: false, largeInput, large, [], cap);
        }

        File.Delete(smallInput);
        File.Delete(largeInput);
        var ratio = oursLarge.Run.MaxRssMb / oursSmall.Run.MaxRssMb;
        var hugeRatio = oursHuge.Run.MaxRssMb / oursSmall.Run.MaxRssMb;
        string Rss(Measured? m) => m is null ? "-" : m.Run.TimedOut ? DidNotFinish(m) : $"{m.Run.MaxRssMb:0} MB";
        var figures = new List<Figure>
        {
            new($"peak RSS at {small / 1000:N0} k", Rss(oursSmall), Rss(theirSmall)),
            new($"peak RSS at {large / 1000:N0} k", Rss(oursLarge), Rss(theirLarge), "< 120 MB", oursLarge.Run.MaxRssMb < 120),
            new("ratio large/small", $"{ratio:0.00}", theirSmall is null || theirLarge is null ? "-" : $"{theirLarge.Run.MaxRssMb / theirSmall.Run.MaxRssMb:0.00}", "<= 1.2", ratio <= 1.2),
            new($"peak RSS at {huge / 1000:N0} k", Rss(oursHuge), "-"),
            new($"ratio {huge / 1000:N0} k / {small / 1000:N0} k", $"{hugeRatio:0.00}", "-", "<= 1.2", !oursHuge.Run.TimedOut && hugeRatio <= 1.2),
            new($"wall at {large / 1000:N0} k", Wall(oursLarge), theirLarge is null ? "-" : Wall(theirLarge)),
            new($"wall at {huge / 1000:N0} k", Wall(oursHuge), "-"),
            new("items correct (every size)", All(oursSmall, oursLarge, oursHuge), theirSmall is null || theirLarge is null ? "-" : All(theirSmall, theirLarge), "all", oursSmall.Check.AllCorrect && oursLarge.Check.AllCorrect && oursHuge.Check.AllCorrect),
        };
        return new ScenarioResult("memory", $"{small:N0}, {large:N0} and {huge:N0} chat requests (the baseline at the first two), no limits, simulator latency 0; peak RSS = the kernel's ru_maxrss of the client", figures, []);

        static string All(params Measured[] runs) => runs.All(r => r.Check.AllCorrect) ? "all" : string.Join("; ", runs.Select(r => r.Check.Describe()));
    }

    // ---------------------------------------------------------------- helpers

    private Task<Measured> MeasureAsync(string label, SimSettings sim, bool ours, string input, int n, string[] extra, TimeSpan cap, Action<string, Uri>? inspect = null) =>
        MeasureCommandAsync(label, sim, ours ? "ours" : "baseline", (output, baseUrl) => Command(ours, input, output, baseUrl, extra), n, cap, inspect);

    /// <summary>
    /// One measured run of any client: a fresh simulator, the client as a child process under GNU time, the simulator's
    /// stats and a check of the output file. <paramref name="command"/> gets the output path and the simulator's URL.
    /// </summary>
    private async Task<Measured> MeasureCommandAsync(string label, SimSettings sim, string client, Func<string, Uri, (string Exe, IReadOnlyList<string> Args)> command, int n, TimeSpan cap, Action<string, Uri>? inspect = null)
    {
        var output = Path.Combine(workDir, $"{client}-{Guid.NewGuid():N}.out.jsonl");
        log.Write($"  {label} ...");
        await using var simulator = await SimulatorProcess.StartAsync(cli, sim);
        var (exe, args) = command(output, simulator.BaseUrl);
        var run = await ClientRunner.RunAsync(exe, args, workDir, cap);
        var stats = await simulator.GetStatsAsync();
        var check = OutputChecker.Check(output, n);
        if (File.Exists(output))
        {
            inspect?.Invoke(output, simulator.BaseUrl);
        }

        File.Delete(output);
        log.WriteLine(run.TimedOut
            ? $" did not finish in {cap.TotalSeconds:0} s"
            : $" {run.WallSeconds:0.0} s, exit {run.ExitCode}, {check.Describe()} correct, 429 {stats.RateLimited:N0}/{stats.TotalRequests:N0}");
        if (run.ExitCode is not (0 or 1) || run.TimedOut)
        {
            log.WriteLine("    last output: " + run.LogTail.Replace("\n", "\n    ", StringComparison.Ordinal));
        }

        return new Measured(run, stats, check);
    }

    private (string Exe, IReadOnlyList<string> Args) Command(bool ours, string input, string output, Uri baseUrl, string[] extra)
    {
        var mc = maxConcurrency.ToString(C);
        var url = baseUrl.ToString().TrimEnd('/');
        return ours
            ? (cli, ["run", input, "-o", output, "--base-url", url, "--max-concurrency", mc, .. extra])
            : (baseline, [input, "-o", output, "--base-url", url, "--max-concurrency", mc]);
    }

    private string Input(string file, Action<string> write)
    {
        var path = Path.Combine(workDir, file);
        log.WriteLine($"  generating {file}");
        write(path);
        return path;
    }

    /// <summary>
    /// The ideal time for <paramref name="n"/> requests under a request budget: the first <c>rpm × burst / 60</c> go at
    /// once on the bucket's burst credit, the rest at exactly <c>rpm / 60</c> per second, and the last one then takes
    /// one response time (first-token latency plus per-token time × the mean completion length actually served).
    /// </summary>
    public static double IdealRequests(int n, SimSettings sim, double meanCompletionTokens)
    {
        var perSecond = sim.Rpm / 60.0;
        var burst = perSecond * sim.BurstSeconds;
        return (Math.Max(0, n - burst) / perSecond) + ResponseSeconds(sim, meanCompletionTokens);
    }

    /// <summary>The ideal time for the requests a run actually got answered (200s), so a client that gives up on items is not credited for them.</summary>
    public static double IdealRequests(SimStats stats, SimSettings sim) => IdealRequests((int)stats.ChatOk, sim, stats.MeanCompletionTokens);

    /// <summary>The same under a token budget, over the tokens the simulator admitted (prompt plus max_tokens of each request).</summary>
    public static double IdealTokens(SimStats stats, SimSettings sim)
    {
        var perSecond = sim.Tpm / 60.0;
        var burst = perSecond * sim.BurstSeconds;
        return (Math.Max(0, stats.TokensAdmitted - burst) / perSecond) + ResponseSeconds(sim, stats.MeanCompletionTokens);
    }

    private static double ResponseSeconds(SimSettings sim, double meanCompletionTokens) =>
        (sim.LatencyMs + (sim.PerTokenMs * meanCompletionTokens)) / 1000.0;

    private static TimeSpan Cap(double idealSeconds, double factor) => TimeSpan.FromSeconds(Math.Max(120, idealSeconds * factor));

    private static string F3(double v) => v.ToString("0.000", C);

    private static string Pct(double share) => (share * 100).ToString("0.00", C) + " %";

    private static string Wall(Measured m) => m.Run.TimedOut ? DidNotFinish(m) : $"{m.Run.WallSeconds:0.0} s";

    private static string DidNotFinish(Measured m) => $"did not finish in {m.Run.WallSeconds:0} s";
}

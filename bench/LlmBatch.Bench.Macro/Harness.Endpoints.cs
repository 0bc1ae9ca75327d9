using System.Diagnostics;
using System.Text.Json;

namespace LlmBatch.Bench.Macro;

/// <summary>
/// Several endpoints in one run (issue 11, <c>run --endpoints FILE</c>): three simulators with different request
/// limits, the client learning each limit from each simulator's own headers. Once all three stay up; once the largest
/// is killed (kill -9) when 40 % of the items are written, and its items must complete on the other two.
/// </summary>
internal sealed partial class Harness
{
    private static readonly int[] s_endpointLimits = [1_200, 2_400, 3_600];

    public async Task<IReadOnlyList<ScenarioResult>> EndpointsAsync()
    {
        var n = sizes.RateItems;
        var input = Input("endpoints.jsonl", p => InputGenerator.WriteFixed(p, n, PromptWords, MaxTokens, seed));
        var steady = await EndpointsRunAsync("endpoints, all up", input, n, killAtShare: null);
        var failing = await EndpointsRunAsync("endpoints, the largest killed at 40 %", input, n, killAtShare: 0.4);
        File.Delete(input);

        var sum = s_endpointLimits.Sum();
        var limits = string.Join(" / ", s_endpointLimits.Select(l => l.ToString("N0", C)));
        var setup = $"{n:N0} chat requests over three simulators limited to {limits} RPM (sum {sum:N0}), latency 400 ms + 2 ms/token, burst 1 s each; ours with --endpoints and no limit flags";
        return
        [
            new ScenarioResult("endpoints (three limits)", setup,
            [
                new("throughput / sum of limits (items/s over the whole wall time)", F3(steady.Throughput / (sum / 60.0)) + $" ({steady.Throughput:0.0}/s against {sum / 60.0:0.0}/s)", "-", ">= 0.90", steady.Throughput >= 0.9 * sum / 60.0),
                new("efficiency (ideal/wall, burst credit counted)", F3(steady.Efficiency), "-"),
                new("efficiency, start-up excluded", double.IsNaN(_oursStartup) ? "-" : F3(steady.Ideal / (steady.Wall - _oursStartup)) + $" (start-up {_oursStartup:0.0} s)", "-"),
                new("wall time (ideal)", $"{steady.Wall:0.0} s ({steady.Ideal:0.0} s)", "-"),
                new("requests answered 429", Pct(steady.Share429) + $" of {steady.Requests:N0}", "-", "< 1 %", steady.Share429 < 0.01),
                new("answers per endpoint (share of the limits)", steady.Split, "-"),
                new("items correct", steady.Check.Describe(), "-", "all", steady.Check.AllCorrect),
            ], ["Throughput = correct items / wall time of the client process (start-up included). Ideal = (items − the three bursts) / (sum of limits per second) + one response time, so ideal/wall also charges the 1 s burst credit each simulator grants; the split is the share of output lines each endpoint answered."]),
            new ScenarioResult("endpoints (one killed)", setup + "; the 3,600 RPM simulator killed (kill -9) when 40 % of the lines were written",
            [
                new("items correct", failing.Check.Describe(), "-", "all", failing.Check.AllCorrect),
                new("exit code", failing.ExitCode.ToString(C), "-", "0", failing.ExitCode == 0),
                new("efficiency (ideal with the remaining limits after the kill)", F3(failing.Efficiency), "-", "-"),
                new("wall time (ideal)", $"{failing.Wall:0.0} s ({failing.Ideal:0.0} s), killed at {failing.KilledAt:0.0} s", "-"),
                new("requests answered 429 (two left up)", Pct(failing.Share429) + $" of {failing.Requests:N0}", "-"),
                new("answers per endpoint", failing.Split, "-"),
            ], ["Ideal = the time of the kill + the items not yet answered then / the two remaining limits per second + one response time."]),
        ];
    }

    private sealed record EndpointsOutcome(double Wall, double Ideal, double Efficiency, long Answered, long Requests, double Share429, string Split, OutputCheck Check, int ExitCode, double KilledAt)
    {
        /// <summary>Correct items per second of wall time, start-up included.</summary>
        public double Throughput => Check.Correct / Wall;
    }

    private async Task<EndpointsOutcome> EndpointsRunAsync(string label, string input, int n, double? killAtShare)
    {
        var settings = s_endpointLimits.Select((rpm, i) => new SimSettings { Rpm = rpm, Seed = seed + i }).ToArray();
        var sims = new SimulatorProcess[settings.Length];
        var output = Path.Combine(workDir, $"endpoints-{Guid.NewGuid():N}.out.jsonl");
        var file = Path.Combine(workDir, "endpoints.json");
        log.Write($"  {label} ...");
        try
        {
            for (var i = 0; i < sims.Length; i++)
            {
                sims[i] = await SimulatorProcess.StartAsync(cli, settings[i]);
            }

            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(sims.Select((s, i) => new Dictionary<string, object>
            {
                ["name"] = $"sim-{s_endpointLimits[i]}",
                ["base_url"] = s.BaseUrl.ToString().TrimEnd('/'),
            })));
            string[] args = ["run", input, "-o", output, "--endpoints", file, "--max-concurrency", maxConcurrency.ToString(C)];
            var perSecond = s_endpointLimits.Sum() / 60.0;
            var response = ResponseSeconds(settings[0], MaxTokens / 2.0);
            var ideal = (Math.Max(0, n - perSecond) / perSecond) + response;
            var killedAt = double.NaN;
            var stopwatch = Stopwatch.StartNew();
            var run = ClientRunner.RunAsync(cli, args, workDir, Cap(ideal, 6));
            SimStats? atKill = null;
            if (killAtShare is { } share)
            {
                // Watch the output grow; at the share, read what each simulator answered so far and kill the largest.
                while (!run.IsCompleted && Lines(output) < share * n)
                {
                    await Task.Delay(50);
                }

                if (!run.IsCompleted)
                {
                    var answered = 0L;
                    foreach (var s in sims)
                    {
                        answered += (await s.GetStatsAsync()).ChatOk;
                    }

                    atKill = await sims[^1].GetStatsAsync();
                    sims[^1].Kill();
                    killedAt = stopwatch.Elapsed.TotalSeconds;
                    var remaining = s_endpointLimits[..^1].Sum() / 60.0;
                    ideal = killedAt + (Math.Max(0, n - answered) / remaining) + response;
                }
            }

            var measured = await run;
            var stats = new List<SimStats>();
            for (var i = 0; i < sims.Length; i++)
            {
                stats.Add(i == sims.Length - 1 && atKill is not null ? atKill : await sims[i].GetStatsAsync());
            }

            var check = OutputChecker.Check(output, n);
            var split = EndpointSplit(output);
            File.Delete(output);
            var requests = stats.Sum(s => s.TotalRequests);
            var limited = stats.Sum(s => s.RateLimited);
            var answeredTotal = stats.Sum(s => s.ChatOk);
            var wall = measured.TimedOut ? double.NaN : measured.WallSeconds;
            log.WriteLine($" {measured.WallSeconds:0.0} s, exit {measured.ExitCode}, {check.Describe()} correct, 429 {limited:N0}/{requests:N0}; {split}");
            if (measured.ExitCode != 0 || measured.TimedOut)
            {
                log.WriteLine("    last output: " + measured.LogTail.Replace("\n", "\n    ", StringComparison.Ordinal));
            }

            return new EndpointsOutcome(wall, ideal, measured.TimedOut ? 0 : ideal / wall, answeredTotal, requests, requests == 0 ? 0 : (double)limited / requests, split, check, measured.ExitCode, killedAt);
        }
        finally
        {
            foreach (var s in sims)
            {
                if (s is not null)
                {
                    await s.DisposeAsync();
                }
            }

            File.Delete(file);
        }
    }

    private static long Lines(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var count = 0L;
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                count += buffer.AsSpan(0, read).Count((byte)'\n');
            }

            return count;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>"sim-1200 17 %, sim-2400 33 %, …": the share of the output's lines each endpoint answered.</summary>
    private static string EndpointSplit(string output)
    {
        if (!File.Exists(output))
        {
            return "-";
        }

        var counts = new SortedDictionary<int, int>();
        var total = 0;
        foreach (var line in File.ReadLines(output))
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("llmbatch", out var facts) && facts.TryGetProperty("endpoint", out var e) && e.GetString() is { } name
                && int.TryParse(name.AsSpan("sim-".Length), C, out var limit))
            {
                counts[limit] = counts.GetValueOrDefault(limit) + 1;
                total++;
            }
        }

        var sum = (double)s_endpointLimits.Sum();
        return string.Join(", ", counts.Select(c => $"sim-{c.Key} {100.0 * c.Value / Math.Max(1, total):0} % ({100 * c.Key / sum:0} %)"));
    }
}

// The macro benchmark: every claim of LlmBatch measured against the simulator, next to a baseline run in the same
// process of the harness on the same machine. Run through bench/run, which builds everything in Release first.
//
// llmbatch-bench --cli PATH --baseline PATH [--quick]
//                [--only rate,tokens,quantized,overload,gpu,shared,packing,unlimited,faults,crash,memory,cache,dedupe,budget,estimate,cachecpu,batch,cpu,endpoints,redis]
//                [--floor PATH] [--no-baseline] [--seed N] [--max-concurrency N] [--work DIR] [--markdown FILE]
using System.Globalization;
using LlmBatch.Bench.Macro;

string? cli = null, baseline = null, floor = null, workDir = null, markdown = null;
var quick = false;
var runBaseline = true;
var seed = 42;
var maxConcurrency = 256;
var only = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
string[] all = ["rate", "tokens", "quantized", "overload", "gpu", "shared", "packing", "unlimited", "faults", "crash", "memory", "cache", "dedupe", "budget", "estimate", "cachecpu", "batch", "cpu", "endpoints", "redis"];
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--cli": cli = Next(); break;
        case "--baseline": baseline = Next(); break;
        case "--floor": floor = Next(); break;
        case "--quick": quick = true; break;
        case "--no-baseline": runBaseline = false; break;
        case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--max-concurrency": maxConcurrency = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--work": workDir = Next(); break;
        case "--markdown": markdown = Next(); break;
        case "--only":
            foreach (var s in Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!all.Contains(s, StringComparer.OrdinalIgnoreCase))
                {
                    Console.Error.WriteLine($"llmbatch-bench: unknown scenario '{s}' (known: {string.Join(", ", all)})");
                    return 2;
                }

                only.Add(s);
            }

            break;
        default:
            Console.Error.WriteLine($"llmbatch-bench: unexpected argument '{args[i]}'");
            return 2;
    }
}

if ((only.Count == 0 || only.Contains("cpu")) && (floor is null || !File.Exists(floor)))
{
    Console.Error.WriteLine("llmbatch-bench: the cpu scenario needs --floor (the built llmbatch-floor); bench/run passes it");
    return 2;
}

if (cli is null || !File.Exists(cli) || (runBaseline && (baseline is null || !File.Exists(baseline))))
{
    Console.Error.WriteLine("llmbatch-bench: --cli (the built llmbatch) and --baseline (the built llmbatch-baseline) must name existing files; bench/run passes them");
    return 2;
}

if (!ClientRunner.HasGnuTime)
{
    Console.Error.WriteLine("llmbatch-bench: /usr/bin/time (GNU time) is needed to read the clients' CPU time and peak RSS: apt-get install time");
    return 2;
}

ChildRegistry.InstallHandlers();
var ownWork = workDir is null;
workDir ??= Directory.CreateTempSubdirectory("llmbatch-bench-").FullName;
Directory.CreateDirectory(workDir);
var sizes = quick ? BenchSizes.Quick : BenchSizes.Full;
var machine = Report.Machine();
var command = "bench/run" + (quick ? " --quick" : "") + (only.Count > 0 ? " --only " + string.Join(',', only) : "");
Console.WriteLine($"LlmBatch macro benchmark ({(quick ? "quick" : "full")}), seed {seed}, max concurrency {maxConcurrency}");
Console.WriteLine($"Machine: {machine}");
Console.WriteLine($"Work directory: {workDir}");

var harness = new Harness(Path.GetFullPath(cli), runBaseline ? Path.GetFullPath(baseline!) : "", floor is null ? "" : Path.GetFullPath(floor), workDir, sizes, seed, maxConcurrency, runBaseline, Console.Out);
var results = new List<ScenarioResult>();
bool Want(string s) => only.Count == 0 || only.Contains(s);
try
{
    if (Want("rate") || Want("tokens") || Want("overload") || Want("gpu") || Want("packing") || Want("endpoints"))
    {
        Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] start-up");
        await harness.MeasureStartupAsync();
    }

    foreach (var scenario in all.Where(Want))
    {
        Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {scenario}");
        var produced = scenario switch
        {
            "rate" => await harness.RateLimitedAsync(),
            "tokens" => await harness.TokenLimitedAsync(),
            "quantized" => await harness.QuantizedAsync(),
            "overload" => await harness.OverloadAsync(),
            "gpu" => [await harness.GpuAsync()],
            "shared" => [await harness.SharedKeyAsync()],
            "packing" => [await harness.PackingAsync()],
            "unlimited" => [await harness.UnlimitedAsync()],
            "faults" => [await harness.FaultsAsync()],
            "crash" => [await harness.CrashAsync()],
            "cache" => [await harness.CacheAsync()],
            "dedupe" => [await harness.DedupeAsync()],
            "budget" => [await harness.BudgetAsync()],
            "estimate" => [await harness.EstimateScenarioAsync()],
            "cachecpu" => [await harness.CacheCpuAsync()],
            "batch" => await harness.BatchAsync(),
            "cpu" => await harness.CpuAsync(),
            "endpoints" => await harness.EndpointsAsync(),
            "redis" => [await harness.RedisScaleOutAsync()],
            _ => (IReadOnlyList<ScenarioResult>)[await harness.MemoryAsync()],
        };
        results.AddRange(produced);
        foreach (var r in produced)
        {
            Console.WriteLine("  => " + Report.Summary(r));
        }
    }
}
finally
{
    ChildRegistry.KillAll();
    if (ownWork)
    {
        Directory.Delete(workDir, recursive: true);
    }
}

Console.WriteLine();
Console.WriteLine("One line per scenario (targets are LlmBatch's; the baseline's figures are printed in the same order):");
foreach (var r in results)
{
    Console.WriteLine(Report.Summary(r));
}

Console.WriteLine();
Console.Write(Report.Table(results));
foreach (var r in results)
{
    foreach (var n in r.Notes)
    {
        Console.WriteLine($"{r.Name}: {n}");
    }
}

if (markdown is not null)
{
    File.WriteAllText(markdown, Report.Markdown(results, command, machine));
    Console.WriteLine($"Markdown written to {markdown}");
}

return 0;

using System.Text.Json;
using LlmBatch.BatchApi;
using LlmBatch.Input;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using LlmBatch.Simulator;

namespace LlmBatch.Cli.Tests.Commands;

/// <summary>
/// The Batch API mode against the simulator over loopback: in process through <see cref="BatchApiJob"/>, and as real
/// CLI processes killed with kill -9 during upload, polling and download, then rerun.
/// </summary>
public sealed class BatchModeIntegrationTests : TempDirTest
{
    private string WriteInput(int count, string name = "requests.jsonl")
    {
        var path = Path.Combine(Dir, name);
        using var w = new StreamWriter(path);
        for (var i = 0; i < count; i++)
        {
            var body = JsonSerializer.Serialize(new
            {
                model = "gpt-4o-mini",
                messages = new[] { new { role = "user", content = $"Say something about item {i}." } },
                max_tokens = 16,
            });
            w.WriteLine($$$"""{"custom_id":"item-{{{i}}}","method":"POST","url":"/v1/chat/completions","body":{{{body}}}}""");
        }

        return path;
    }

    private static SimulatorOptions Sim(Action<SimulatorOptions>? change = null)
    {
        var options = new SimulatorOptions { Latency = TimeSpan.Zero, PerToken = TimeSpan.Zero, BatchDuration = TimeSpan.FromMilliseconds(300), Seed = 5 };
        change?.Invoke(options);
        return options;
    }

    private BatchApiJobOptions Job(SimulatorServer sim, string input, Action<BatchApiJobOptions>? change = null)
    {
        var options = new BatchApiJobOptions
        {
            InputPath = input,
            OutputPath = Path.Combine(Dir, "results.jsonl"),
            BaseUrl = sim.BaseUrl,
            MaxRequestsPerFile = 100,
            PollInterval = TimeSpan.FromMilliseconds(30),
            MaxPollInterval = TimeSpan.FromMilliseconds(100),
            RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        };
        change?.Invoke(options);
        return options;
    }

    [Fact]
    public async Task BatchApiJob_ThreeFiles_EveryItemOneCorrectLineAndFilesCleanedUp()
    {
        await using var sim = await SimulatorServer.StartAsync(Sim(), TestContext.Current.CancellationToken);
        var options = Job(sim, WriteInput(250));
        using var job = new BatchApiJob(options);

        var result = await job.RunAsync(TestContext.Current.CancellationToken);

        var lines = RunIntegrationTests.ReadOutput(options.OutputPath);
        RunIntegrationTests.AssertOneCorrectLinePerId(lines, 250);
        Assert.All(lines, l => Assert.StartsWith("batch_", l.GetProperty("llmbatch").GetProperty("batch_id").GetString()));
        Assert.Equal(250, result.BatchSucceeded);
        Assert.False(result.Interrupted);
        Assert.Equal(3, result.Chunks.Count);
        var stats = sim.GetStats();
        Assert.Equal(3, stats.Batches.FilesUploaded);
        Assert.Equal(3, stats.Batches.BatchesCreated);
        Assert.Equal(6, stats.Batches.FilesDeleted);
        Assert.Equal(0, stats.DuplicateSuccesses);
        Assert.False(Directory.Exists(options.OutputPath + ".batches"));
    }

    [Fact]
    public async Task Run_KilledDuringUploadPollingAndDownload_RerunsLoseNothingAndMakeNothingTwice()
    {
        // Uploads and creations answer half a second after they took effect, downloads trickle over half a second: windows to kill in.
        await using var sim = await SimulatorServer.StartAsync(Sim(o =>
        {
            o.BatchDuration = TimeSpan.FromSeconds(2);
            o.BatchApiLatency = TimeSpan.FromSeconds(0.5);
        }), TestContext.Current.CancellationToken);
        var input = WriteInput(200);
        var output = Path.Combine(Dir, "results.jsonl");
        string[] args = ["run", input, "-o", output, "--mode", "batch", "--base-url", sim.BaseUrl.ToString(), "--batch-max-requests", "100", "--poll-interval", "100ms", "--progress", "plain"];

        // 1. The first file is stored on the provider, but its id has not come back.
        await KillWhenAsync(args, () => sim.GetStats().Batches.FilesUploaded >= 1 && Phases(output).FirstOrDefault() == "uploading");
        Assert.Equal(0, sim.GetStats().Batches.BatchesCreated);

        // 2. Both batches exist on the provider and are being polled; no result is in yet.
        await KillWhenAsync(args, () => Phases(output) is ["submitted", "submitted"] && !File.Exists(output));
        Assert.Equal(2, sim.GetStats().Batches.BatchesCreated);

        // 3. Half-way through a download: some lines of a batch are in the output, not all.
        await KillWhenAsync(args, () => File.Exists(output) && File.ReadAllLines(output).Length % 100 != 0);
        var partial = File.ReadAllLines(output).Length;

        using (var last = CliProcess.Start(args))
        {
            await last.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, last.ExitCode);
        }

        RunIntegrationTests.AssertOneCorrectLinePerId(RunIntegrationTests.ReadOutput(output), 200);
        var stats = sim.GetStats();
        Assert.True(partial is > 0 and < 200, $"killed with {partial} lines written");
        Assert.Equal(2, stats.Batches.FilesUploaded);
        Assert.Equal(0, stats.Batches.DuplicateUploads);
        Assert.Equal(2, stats.Batches.BatchesCreated);
        Assert.Equal(0, stats.Batches.DuplicateBatches);
        Assert.Equal(0, stats.DuplicateSuccesses);
        Assert.False(Directory.Exists(output + ".batches"), "the chunk files are gone once the job is done");
    }

    [Fact]
    public async Task BatchApiJob_ExpiredBatchStoppedThenRerun_TenPercentNeverRunRecovered()
    {
        await using var sim = await SimulatorServer.StartAsync(Sim(o => o.PBatchExpire = 1), TestContext.Current.CancellationToken);
        var options = Job(sim, WriteInput(100));

        // The first run stops once the expired batch's 90 answers are in.
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        using (var first = new BatchApiJob(options))
        {
            var running = first.RunAsync(stop.Token);
            while (!running.IsCompleted && first.GetProgress().Succeeded < 90)
            {
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }

            await stop.CancelAsync();
            var stopped = await running;
            Assert.True(stopped.Interrupted);
            Assert.Equal(90, RunIntegrationTests.ReadOutput(options.OutputPath).Count);
        }

        using var rerun = new BatchApiJob(options);
        var result = await rerun.RunAsync(TestContext.Current.CancellationToken);

        Assert.False(result.Interrupted);
        RunIntegrationTests.AssertOneCorrectLinePerId(RunIntegrationTests.ReadOutput(options.OutputPath), 100);
        var stats = sim.GetStats();
        Assert.True(stats.Batches.Expired >= 2, $"{stats.Batches.Expired} batches expired");
        Assert.Equal(0, stats.Batches.DuplicateUploads);
        Assert.Equal(0, stats.DuplicateSuccesses);
    }

    [Fact]
    public async Task BatchApiJob_EnqueuedTokenLimitAThirdOfTheJob_CompletesInWaves()
    {
        var input = WriteInput(250);
        var tokens = File.ReadLines(input).Sum(l => (long)TokenCounter.Shared.CountPromptTokens(ToRequest(l)));
        await using var sim = await SimulatorServer.StartAsync(Sim(o => o.BatchEnqueuedTokens = tokens / 3), TestContext.Current.CancellationToken);
        using var job = new BatchApiJob(Job(sim, input));

        var result = await job.RunAsync(TestContext.Current.CancellationToken);

        Assert.False(result.Interrupted);
        RunIntegrationTests.AssertOneCorrectLinePerId(RunIntegrationTests.ReadOutput(job.Options.OutputPath), 250);
        var stats = sim.GetStats().Batches;
        Assert.True(stats.TokenLimitRejected >= 1, "the limit was met and learned");
        Assert.True(result.Chunks.Count > 3, "files too big for the limit alone were split");
        Assert.Equal(0, stats.DuplicateBatches);
        Assert.Equal(0, stats.DuplicateUploads);
    }

    private static BatchRequest ToRequest(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        return BatchRequest.Create(root.GetProperty("custom_id").GetString()!, root.GetProperty("url").GetString()!, root.GetProperty("body").GetRawText());
    }

    // Runs the CLI and kills it (SIGKILL) the moment the condition holds; fails if it never does.
    private static async Task KillWhenAsync(string[] args, Func<bool> condition)
    {
        using var process = CliProcess.Start(args);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.False(process.HasExited, $"the run ended (exit {(process.HasExited ? process.ExitCode : 0)}) before the moment to kill it");
            Assert.True(DateTime.UtcNow < deadline, "the moment to kill the run never came");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    private static List<string> Phases(string output) => Chunks(output).Select(c => c.GetProperty("phase").GetString()!).ToList();

    private static List<string> Statuses(string output) => Chunks(output).Select(c => c.GetProperty("status").GetString()!).ToList();

    private static List<JsonElement> Chunks(string output)
    {
        var path = output + ".batches.json";
        if (!File.Exists(path))
        {
            return [];
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.GetProperty("chunks").EnumerateArray().Select(c => c.Clone()).ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }

    [Fact]
    public async Task Run_AutoDryRun_OnlineWhenTheJobFitsTheDeadlineSplitWhenNot()
    {
        // 600 requests a minute, learned from the headers of one probe request: 300 requests take 30 s online.
        await using var sim = await SimulatorServer.StartAsync(Sim(o => o.RequestsPerMinute = 600), TestContext.Current.CancellationToken);
        var input = WriteInput(300);
        string[] Args(string deadline) => ["run", input, "-o", Path.Combine(Dir, "results.jsonl"), "--mode", "auto", "--deadline", deadline, "--dry-run", "--base-url", sim.BaseUrl.ToString()];

        var fits = await CliProcess.RunAsync(Args("2h"), TestContext.Current.CancellationToken);
        var tight = await CliProcess.RunAsync(Args("20s"), TestContext.Current.CancellationToken);

        Assert.True(fits.ExitCode == 0, fits.Stderr);
        Assert.Contains("choice          online: the whole job takes about", fits.Stdout, StringComparison.Ordinal);
        Assert.Contains("600 requests/min (learned from the x-ratelimit-limit-* headers of one probe request", fits.Stdout, StringComparison.Ordinal);
        Assert.True(tight.ExitCode == 0, tight.Stderr);
        Assert.Contains("choice          split: ", tight.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"\n\s+1\d\d online \(about \d+s\), 1\d\d through the Batch API", tight.Stdout);

        // A dry run sends the probe and nothing else.
        var stats = sim.GetStats();
        Assert.Equal(2, stats.Requests["/v1/chat/completions"].Values.Sum());
        Assert.Equal(0, stats.Batches.FilesUploaded);
        Assert.False(File.Exists(Path.Combine(Dir, "results.jsonl")));
        Assert.False(File.Exists(Path.Combine(Dir, "results.jsonl.batches.json")));
    }

    [Fact]
    public async Task BatchApiJob_AutoSplit_OnlineShareThenBatchShareOneLineEach()
    {
        await using var sim = await SimulatorServer.StartAsync(Sim(), TestContext.Current.CancellationToken);
        var engine = new BatchEngineBuilder(BatchProviders.Http(sim.BaseUrl, null)).WithOptions(new BatchOptions { RequestsPerMinute = 6000 }).Build();
        var options = Job(sim, WriteInput(300), o =>
        {
            o.Mode = BatchApiMode.Auto;
            o.OnlineEngine = engine;
            o.OnlineLimits = new OnlineLimits { RequestsPerMinute = 6000, Latency = TimeSpan.FromMilliseconds(10), Source = "test" };
            o.Deadline = TimeSpan.FromSeconds(1);
        });
        using var job = new BatchApiJob(options);

        var result = await job.RunAsync(TestContext.Current.CancellationToken);

        // 100 requests a second for 0.9 of the second, less one latency: 89 online; the other 211 in three batch files.
        Assert.Equal(BatchPlanChoice.Split, result.Plan.Choice);
        var online = result.Plan.OnlineRequests;
        Assert.Equal(89, online);
        var lines = RunIntegrationTests.ReadOutput(options.OutputPath);
        RunIntegrationTests.AssertOneCorrectLinePerId(lines, 300);
        Assert.Equal(online, lines.Count(l => !l.GetProperty("llmbatch").TryGetProperty("batch_id", out _)));
        Assert.Equal(online, result.Online!.Summary.Succeeded);
        Assert.Equal(300 - online, result.BatchSucceeded);
        Assert.Equal(0, sim.GetStats().DuplicateSuccesses);
    }

    [Fact]
    public async Task BatchApiJob_ExpiredWithFallbackOnline_UnrunItemsSentOnline()
    {
        await using var sim = await SimulatorServer.StartAsync(Sim(o => o.PBatchExpire = 1), TestContext.Current.CancellationToken);
        var options = Job(sim, WriteInput(100), o =>
        {
            o.Fallback = BatchFallback.Online;
            o.OnlineEngine = new BatchEngineBuilder(BatchProviders.Http(sim.BaseUrl, null)).Build();
        });
        using var job = new BatchApiJob(options);

        var result = await job.RunAsync(TestContext.Current.CancellationToken);

        var lines = RunIntegrationTests.ReadOutput(options.OutputPath);
        RunIntegrationTests.AssertOneCorrectLinePerId(lines, 100);
        Assert.Equal(10, lines.Count(l => !l.GetProperty("llmbatch").TryGetProperty("batch_id", out _)));
        Assert.Equal(10, result.Online!.Summary.Succeeded);
        Assert.Equal(1, sim.GetStats().Batches.BatchesCreated);
        Assert.Equal(0, sim.GetStats().DuplicateSuccesses);
    }

    [Fact]
    public async Task BatchApiJob_AzureDatedApi_PathsApiVersionAndLineUrls()
    {
        await using var sim = await SimulatorServer.StartAsync(Sim(o => o.Azure = true), TestContext.Current.CancellationToken);
        var root = new Uri(sim.BaseUrl, "/openai?api-version=2024-10-21");
        var options = Job(sim, WriteInput(50), o => o.BaseUrl = root);
        using var job = new BatchApiJob(options);

        var result = await job.RunAsync(TestContext.Current.CancellationToken);

        Assert.False(result.Interrupted);
        RunIntegrationTests.AssertOneCorrectLinePerId(RunIntegrationTests.ReadOutput(options.OutputPath), 50);
        var stats = sim.GetStats();
        Assert.Equal(1, stats.Batches.Completed);
        Assert.DoesNotContain(404, stats.Requests["/v1/batches"].Keys);
    }
}

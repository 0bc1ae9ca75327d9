using System.Collections.Concurrent;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Providers;
using LlmBatch.Tests.Providers;
using LlmBatch.Tests.TestSupport;
using Microsoft.AspNetCore.Http;

namespace LlmBatch.Tests.Scheduling;

public class BatchJobTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("llmbatch-job-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Input(int count)
    {
        var path = Path.Combine(_dir, "in.jsonl");
        using var w = new StreamWriter(path);
        for (var i = 0; i < count; i++)
        {
            w.WriteLine($$$"""{"custom_id":"c{{{i}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"n {{{i}}}"}],"max_tokens":8}}""");
        }

        return path;
    }

    private static IBatchEngine Engine(IBatchHandler provider) =>
        new BatchEngineBuilder(provider).WithOptions(new BatchOptions { RetryBaseDelay = TimeSpan.Zero, RetryMaxDelay = TimeSpan.Zero, MaxConcurrency = 8 }).Build();

    private static List<JsonElement> Lines(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Fact]
    public async Task RunAsync_StoppedThenRerun_OneLinePerIdAndOnlyUnfinishedResent()
    {
        var input = Input(300);
        var output = Path.Combine(_dir, "out.jsonl");
        var sent = 0;
        using var stop = new CancellationTokenSource();
        var first = new ScriptedHandler(async (item, ct) =>
        {
            // Interlocked, not a bag's Count: two workers adding at once can step the count from 99 to 101, and then no
            // stop comes at all. Cancel, not CancelAsync: CancelAsync queues the stop's callbacks to the thread pool, and
            // in a busy test run the other seven slots sent all 200 remaining instant items before they ran (seen: 300 sent).
            if (Interlocked.Increment(ref sent) == 100)
            {
                stop.Cancel();
            }

            return await ScriptedHandler.Status(200)(item, ct);
        });
        var firstRun = await BatchJob.RunAsync(Engine(first), new BatchJobOptions { InputPath = input, OutputPath = output, ShutdownGracePeriod = TimeSpan.FromSeconds(5) }, stop.Token);
        Assert.True(firstRun.Interrupted);
        var afterFirst = Lines(output).Count;
        // Items in flight when the stop lands are let finish, and an instant handler on a loaded machine completes a few
        // more before every worker sees the stop (115 seen on CI): what matters is that some were left, and below.
        Assert.InRange(afterFirst, 100, 299);

        var resent = new System.Collections.Concurrent.ConcurrentBag<string>();
        var second = new ScriptedHandler(async (item, ct) =>
        {
            resent.Add(item.Request.CustomId);
            return await ScriptedHandler.Status(200)(item, ct);
        });
        var secondRun = await BatchJob.RunAsync(Engine(second), new BatchJobOptions { InputPath = input, OutputPath = output }, TestContext.Current.CancellationToken);
        Assert.False(secondRun.Interrupted);
        Assert.Equal(afterFirst, secondRun.Skipped);

        var lines = Lines(output);
        Assert.Equal(300, lines.Count);
        Assert.Equal(300, lines.Select(l => l.GetProperty("custom_id").GetString()).Distinct().Count());
        Assert.Empty(resent.Intersect(lines.Take(afterFirst).Select(l => l.GetProperty("custom_id").GetString()!)));
    }

    [Fact]
    public async Task RunAsync_RetryFailed_FailuresResentStillOneLinePerId()
    {
        var input = Input(50);
        var output = Path.Combine(_dir, "out.jsonl");
        var failOdd = new ScriptedHandler((item, ct) =>
            int.Parse(item.Request.CustomId[1..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 1 ? ScriptedHandler.Status(400)(item, ct) : ScriptedHandler.Status(200)(item, ct));
        var first = await BatchJob.RunAsync(Engine(failOdd), new BatchJobOptions { InputPath = input, OutputPath = output }, TestContext.Current.CancellationToken);
        Assert.Equal(25, first.FailedInOutput);

        var plainRerun = await BatchJob.RunAsync(Engine(new ScriptedHandler(ScriptedHandler.Status(200))), new BatchJobOptions { InputPath = input, OutputPath = output }, TestContext.Current.CancellationToken);
        Assert.Equal(50, plainRerun.Skipped);
        Assert.Equal(25, plainRerun.FailedInOutput);

        var all = new ScriptedHandler(ScriptedHandler.Status(200));
        var retry = await BatchJob.RunAsync(Engine(all), new BatchJobOptions { InputPath = input, OutputPath = output, RetryFailed = true }, TestContext.Current.CancellationToken);
        Assert.Equal(25, retry.Requeued);
        Assert.Equal(25, all.Calls);
        Assert.Equal(0, retry.FailedInOutput);
        var lines = Lines(output);
        Assert.Equal(50, lines.Count);
        Assert.All(lines, l => Assert.Equal(JsonValueKind.Null, l.GetProperty("error").ValueKind));
    }

    [Fact]
    public async Task RunAsync_InvalidInput_NothingSentAndEveryBadLineNamed()
    {
        var input = Path.Combine(_dir, "bad.jsonl");
        await File.WriteAllLinesAsync(input,
        [
            """{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[]}}""",
            """{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[]}}""",
            """{"custom_id":"b","method":"GET","url":"/v1/chat/completions","body":{"messages":[]}}""",
        ], TestContext.Current.CancellationToken);
        var provider = new ScriptedHandler(ScriptedHandler.Status(200));
        var ex = await Assert.ThrowsAsync<BatchInputException>(() => BatchJob.RunAsync(Engine(provider), new BatchJobOptions { InputPath = input, OutputPath = Path.Combine(_dir, "o.jsonl") }, TestContext.Current.CancellationToken));
        Assert.Equal(0, provider.Calls);
        Assert.Contains("bad.jsonl:2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("bad.jsonl:3: method", ex.Message, StringComparison.Ordinal);
        Assert.Contains("bad.jsonl:3: body.model", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "o.jsonl")) && new FileInfo(Path.Combine(_dir, "o.jsonl")).Length > 0);
    }

    [Fact]
    public async Task RunAsync_LineLongerThanDefaultCapWithRaisedCap_RunsToTheEnd()
    {
        // Both the check and the read must use the raised cap (the read used the default once).
        var input = Path.Combine(_dir, "long.jsonl");
        var longText = string.Concat(Enumerable.Repeat("lorem ipsum ", (BatchValidationOptions.DefaultMaxLineBytes / 12) + 100));
        await File.WriteAllTextAsync(input, "{\"custom_id\":\"big\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + longText + "\"}]}}\n", TestContext.Current.CancellationToken);
        var output = Path.Combine(_dir, "out.jsonl");
        var options = new BatchJobOptions { InputPath = input, OutputPath = output, Validation = new BatchValidationOptions { MaxLineBytes = 2 * BatchValidationOptions.DefaultMaxLineBytes } };

        var result = await BatchJob.RunAsync(Engine(new ScriptedHandler(ScriptedHandler.Status(200))), options, TestContext.Current.CancellationToken);

        Assert.Equal(1, result.Summary.Succeeded);
        Assert.Single(Lines(output));
    }

    [Fact]
    public async Task RunAsync_CheckedInputOfAnotherFile_OptionsError()
    {
        var input = Input(3);
        var other = Path.Combine(_dir, "other.jsonl");
        File.Copy(input, other);
        var check = await BatchInputFile.ValidateAsync(other, cancellationToken: TestContext.Current.CancellationToken);
        var ex = await Assert.ThrowsAsync<BatchOptionsException>(() => BatchJob.RunAsync(
            Engine(new ScriptedHandler(ScriptedHandler.Status(200))),
            new BatchJobOptions { InputPath = input, OutputPath = Path.Combine(_dir, "o.jsonl"), CheckedInput = check },
            TestContext.Current.CancellationToken));
        Assert.Contains("CheckedInput", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_PreserveOrder_OutputInInputOrder()
    {
        var input = Input(64);
        var output = Path.Combine(_dir, "out.jsonl");
        var random = new Random(7);
        var provider = new ScriptedHandler(async (item, ct) =>
        {
            await Task.Delay(random.Next(0, 5), ct);
            return await ScriptedHandler.Status(200)(item, ct);
        });
        await BatchJob.RunAsync(Engine(provider), new BatchJobOptions { InputPath = input, OutputPath = output, PreserveOrder = true }, TestContext.Current.CancellationToken);
        var ids = Lines(output).Select(l => l.GetProperty("custom_id").GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, 64).Select(i => "c" + i), ids);
    }

    [Fact]
    public async Task RunAsync_TinyMaxMemoryOverLoopback_EveryItemOnceAndPauseReported()
    {
        // 16 MB is far below what any .NET process holds at rest, so the guard must pause, find it cannot get
        // under the limit, and still let the run finish: nothing dropped, nothing sent twice.
        const int count = 400;
        var input = Input(count);
        var output = Path.Combine(_dir, "out.jsonl");
        var received = new ConcurrentDictionary<string, int>();
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            var content = body.RootElement.GetProperty("messages")[0].GetProperty("content").GetString()!;
            received.AddOrUpdate(content, 1, static (_, n) => n + 1);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(
                """{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}""",
                context.RequestAborted);
        }, TestContext.Current.CancellationToken);
        var options = new BatchOptions { MaxMemoryBytes = 16L * 1024 * 1024, MaxConcurrency = 16 };
        var engine = new BatchEngineBuilder(BatchProviders.Http(new Uri(server.BaseUrl, "v1"), null)).WithOptions(options).Build();

        var result = await BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = input, OutputPath = output }, TestContext.Current.CancellationToken);

        Assert.False(result.Interrupted);
        Assert.Equal(count, result.Summary.Succeeded);
        var lines = Lines(output);
        Assert.Equal(count, lines.Count);
        Assert.Equal(count, lines.Select(l => l.GetProperty("custom_id").GetString()).Distinct().Count());
        Assert.All(lines, l => Assert.Equal(200, l.GetProperty("response").GetProperty("status_code").GetInt32()));
        Assert.Equal(count, received.Count);
        Assert.All(received.Values, n => Assert.Equal(1, n));
        Assert.True(result.Summary.IntakePausedTime > TimeSpan.Zero, $"intake paused {result.Summary.IntakePausedTime}");
        Assert.True(result.Summary.PeakMemoryBytes > options.MaxMemoryBytes, $"peak {result.Summary.PeakMemoryBytes}");
    }
}

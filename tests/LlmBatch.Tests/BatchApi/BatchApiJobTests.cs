using System.Text;
using LlmBatch.BatchApi;
using LlmBatch.Providers;
using LlmBatch.Tests.Providers;
using Microsoft.AspNetCore.Http;

namespace LlmBatch.Tests.BatchApi;

/// <summary>The job against a server that has no Batch API (vLLM, Ollama): batch mode says so, auto mode goes online.</summary>
public class BatchApiJobTests
{
    private const string Answer = """{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}""";

    private static async Task<LoopbackServer> ServerWithoutBatchApiAsync() => await LoopbackServer.StartAsync(async context =>
    {
        var chat = context.Request.Path == "/v1/chat/completions";
        context.Response.StatusCode = chat ? 200 : 404;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(chat ? Answer : """{"error":{"message":"Not Found"}}""", context.RequestAborted);
    }, TestContext.Current.CancellationToken);

    private static string Input(TempDir dir, int count) => dir.File("in.jsonl", string.Concat(Enumerable.Range(0, count).Select(i =>
        $$$"""{"custom_id":"r{{{i}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"hello {{{i}}}"}]}}""" + "\n")));

    [Fact]
    public async Task RunAsync_BatchModeOnAServerWithoutBatchApi_OptionsErrorAndNothingWritten()
    {
        await using var server = await ServerWithoutBatchApiAsync();
        using var dir = new TempDir();
        using var job = new BatchApiJob(new BatchApiJobOptions { InputPath = Input(dir, 3), OutputPath = Path.Combine(dir.Path, "out.jsonl"), BaseUrl = new Uri(server.BaseUrl, "v1") });

        var error = await Assert.ThrowsAsync<BatchOptionsException>(() => job.RunAsync(TestContext.Current.CancellationToken));

        Assert.Contains("has no Batch API", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "out.jsonl")));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "out.jsonl.batches")));
    }

    [Fact]
    public async Task RunAsync_AutoModeOnAServerWithoutBatchApi_EverythingOnline()
    {
        await using var server = await ServerWithoutBatchApiAsync();
        using var dir = new TempDir();
        var baseUrl = new Uri(server.BaseUrl, "v1");
        using var job = new BatchApiJob(new BatchApiJobOptions
        {
            InputPath = Input(dir, 5),
            OutputPath = Path.Combine(dir.Path, "out.jsonl"),
            BaseUrl = baseUrl,
            Mode = BatchApiMode.Auto,
            OnlineEngine = new BatchEngineBuilder(BatchProviders.Http(baseUrl, null)).Build(),
            OnlineLimits = new OnlineLimits { Source = "test" },
        });

        var result = await job.RunAsync(TestContext.Current.CancellationToken);

        Assert.Equal(BatchPlanChoice.Online, result.Plan.Choice);
        Assert.Contains("has no Batch API", result.Plan.Reason, StringComparison.Ordinal);
        Assert.Equal(5, result.Online!.Summary.Succeeded);
        Assert.Equal(5, File.ReadAllLines(Path.Combine(dir.Path, "out.jsonl")).Length);
        Assert.DoesNotContain("batch_id", await File.ReadAllTextAsync(Path.Combine(dir.Path, "out.jsonl"), Encoding.UTF8, TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }
}

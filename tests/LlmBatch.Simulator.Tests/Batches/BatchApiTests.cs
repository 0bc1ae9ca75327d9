using System.Net;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Simulator.Tests.Batches;

/// <summary>The simulated Files and Batches APIs on a fake clock: shapes, statuses, counts, faults and limits.</summary>
public class BatchApiTests
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(100);

    private static (SimulatorOptions Options, FakeTimeProvider Time) Options(Action<SimulatorOptions>? change = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 3, 0, 0, TimeSpan.Zero));
        var options = SimTest.Instant();
        options.TimeProvider = time;
        options.BatchDuration = Duration;
        change?.Invoke(options);
        return (options, time);
    }

    private static async Task<Served> StartAsync(SimulatorOptions options, string root = "")
    {
        var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        var http = SimTest.Client(sim);
        return new Served(sim, http, new BatchApiClient(http, root));
    }

    // A running simulator and a client of it, disposed together.
    private sealed record Served(SimulatorServer Sim, HttpClient Http, BatchApiClient Api) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Sim.DisposeAsync();
        }
    }

    [Fact]
    public async Task Files_UploadListRetrieveContentDelete_RoundTrip()
    {
        var (options, _) = Options();
        await using var served = await StartAsync(options);
        var (sim, http, api) = served;
        var content = BatchApiClient.Lines(3);

        var file = await api.UploadAsync(content, "mine.jsonl");
        var id = file.GetProperty("id").GetString()!;
        Assert.Equal("file", file.GetProperty("object").GetString());
        Assert.Equal("batch", file.GetProperty("purpose").GetString());
        Assert.Equal("mine.jsonl", file.GetProperty("filename").GetString());
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(content), file.GetProperty("bytes").GetInt64());

        var list = await api.GetAsync("files?purpose=batch");
        Assert.Equal(id, list.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.False(list.GetProperty("has_more").GetBoolean());
        Assert.Equal(id, (await api.GetAsync($"files/{id}")).GetProperty("id").GetString());
        Assert.Equal(content, await api.ContentAsync(id));

        using var deleted = await api.SendAsync(HttpMethod.Delete, $"files/{id}");
        Assert.True((await SimTest.JsonAsync(deleted)).GetProperty("deleted").GetBoolean());
        using var missing = await api.SendAsync(HttpMethod.Get, $"files/{id}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(1, sim.GetStats().Batches.FilesDeleted);
    }

    [Fact]
    public async Task Files_ListPages_AfterAndHasMore()
    {
        var (options, _) = Options();
        await using var served = await StartAsync(options);
        var (sim, http, api) = served;
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await api.UploadAsync(BatchApiClient.Lines(1, _ => $"file {i}"))).GetProperty("id").GetString()!);
        }

        var first = await api.GetAsync("files?limit=2&order=asc");
        Assert.True(first.GetProperty("has_more").GetBoolean());
        var second = await api.GetAsync($"files?limit=2&order=asc&after={first.GetProperty("last_id").GetString()}");
        Assert.False(second.GetProperty("has_more").GetBoolean());
        Assert.Equal(ids, first.GetProperty("data").EnumerateArray().Concat(second.GetProperty("data").EnumerateArray()).Select(f => f.GetProperty("id").GetString()!));
    }

    [Fact]
    public async Task Batch_StatusesInOrder_RequestCountsTrueAtEachStatus()
    {
        var (options, time) = Options();
        await using var served = await StartAsync(options);
        var (sim, http, api) = served;
        var file = await api.UploadAsync(BatchApiClient.Lines(100));
        var batch = await api.CreateAsync(file.GetProperty("id").GetString()!, metadata: """{"job":"j1"}""");
        var id = batch.GetProperty("id").GetString()!;
        Assert.Equal("validating", batch.GetProperty("status").GetString());
        Assert.Equal("j1", batch.GetProperty("metadata").GetProperty("job").GetString());
        Assert.Equal(batch.GetProperty("created_at").GetInt64() + 100, batch.GetProperty("expires_at").GetInt64());

        time.Advance(TimeSpan.FromSeconds(5));
        var started = await api.GetAsync($"batches/{id}");
        Assert.Equal("in_progress", started.GetProperty("status").GetString());
        Assert.Equal(100, started.GetProperty("request_counts").GetProperty("total").GetInt32());
        Assert.Equal(0, started.GetProperty("request_counts").GetProperty("completed").GetInt32());

        time.Advance(TimeSpan.FromSeconds(40));
        var half = await api.GetAsync($"batches/{id}");
        Assert.Equal(50, half.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(JsonValueKind.Null, half.GetProperty("output_file_id").ValueKind);

        time.Advance(TimeSpan.FromSeconds(45));
        var finalizing = await api.GetAsync($"batches/{id}");
        Assert.Equal("finalizing", finalizing.GetProperty("status").GetString());
        Assert.Equal(100, finalizing.GetProperty("request_counts").GetProperty("completed").GetInt32());

        time.Advance(TimeSpan.FromSeconds(10));
        var done = await api.GetAsync($"batches/{id}");
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, done.GetProperty("error_file_id").ValueKind);
        var lines = BatchApiClient.ParseLines(await api.ContentAsync(done.GetProperty("output_file_id").GetString()!));
        Assert.Equal(100, lines.Select(l => l.GetProperty("custom_id").GetString()).Distinct().Count());
        Assert.All(lines, l =>
        {
            Assert.StartsWith("batch_req_", l.GetProperty("id").GetString());
            Assert.Equal(200, l.GetProperty("response").GetProperty("status_code").GetInt32());
            Assert.Equal(JsonValueKind.Null, l.GetProperty("error").ValueKind);
        });
        Assert.Equal(1, sim.GetStats().Batches.Completed);
        Assert.Equal(100, sim.GetStats().Batches.ItemsAnswered);
    }

    [Fact]
    public async Task Batch_OutputAnswers_SameAsOnlineEndpointForSameBody()
    {
        var (options, time) = Options();
        await using var served = await StartAsync(options);
        var (sim, http, api) = served;
        const string chat = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Compare me"}],"max_tokens":40}""";
        const string embedding = """{"model":"text-embedding-3-small","input":["one","two"],"dimensions":8}""";
        var chatFile = await api.UploadAsync($$"""{"custom_id":"c","method":"POST","url":"/v1/chat/completions","body":{{chat}}}""" + "\n");
        var embeddingFile = await api.UploadAsync($$"""{"custom_id":"e","method":"POST","url":"/v1/embeddings","body":{{embedding}}}""" + "\n");
        var chatBatch = (await api.CreateAsync(chatFile.GetProperty("id").GetString()!)).GetProperty("id").GetString();
        var embeddingBatch = (await api.CreateAsync(embeddingFile.GetProperty("id").GetString()!, "/v1/embeddings")).GetProperty("id").GetString();
        time.Advance(Duration);

        using var onlineChat = await SimTest.PostAsync(http, "chat/completions", chat);
        using var onlineEmbedding = await SimTest.PostAsync(http, "embeddings", embedding);
        var batchChat = await OnlyBodyAsync(api, chatBatch!);
        var batchEmbedding = await OnlyBodyAsync(api, embeddingBatch!);

        Assert.Equal(WithoutCreated(await SimTest.JsonAsync(onlineChat)), WithoutCreated(batchChat));
        Assert.Equal((await SimTest.JsonAsync(onlineEmbedding)).ToString(), batchEmbedding.ToString());
        // The same (key, body) answered in a batch and then online is the same work paid twice, whichever came first.
        Assert.Equal(2, sim.GetStats().DuplicateSuccesses);
    }

    [Fact]
    public async Task Batch_Expired_UnrunShareInErrorFileWithResponseNull()
    {
        var (options, time) = Options(o => o.PBatchExpire = 1);
        await using var served = await StartAsync(options);
        var (sim, http, api) = served;
        var file = await api.UploadAsync(BatchApiClient.Lines(100));
        var id = (await api.CreateAsync(file.GetProperty("id").GetString()!)).GetProperty("id").GetString();

        time.Advance(TimeSpan.FromSeconds(85));
        var running = await api.GetAsync($"batches/{id}");
        Assert.Equal("in_progress", running.GetProperty("status").GetString());
        Assert.Equal(90, running.GetProperty("request_counts").GetProperty("completed").GetInt32());

        time.Advance(TimeSpan.FromSeconds(15));
        var expired = await api.GetAsync($"batches/{id}");
        Assert.Equal("expired", expired.GetProperty("status").GetString());
        Assert.Equal(90, BatchApiClient.ParseLines(await api.ContentAsync(expired.GetProperty("output_file_id").GetString()!)).Count);
        var errors = BatchApiClient.ParseLines(await api.ContentAsync(expired.GetProperty("error_file_id").GetString()!));
        Assert.Equal(10, errors.Count);
        Assert.All(errors, e =>
        {
            Assert.Equal(JsonValueKind.Null, e.GetProperty("response").ValueKind);
            Assert.Equal("batch_expired", e.GetProperty("error").GetProperty("code").GetString());
        });
        Assert.Equal(1, sim.GetStats().Batches.Expired);
    }

    [Fact]
    public async Task Batch_Cancel_CancellingThenCancelledWithRestNeverRun()
    {
        var (options, time) = Options();
        await using var served = await StartAsync(options);
        var (sim, http, api) = served;
        var file = await api.UploadAsync(BatchApiClient.Lines(100));
        var id = (await api.CreateAsync(file.GetProperty("id").GetString()!)).GetProperty("id").GetString();
        time.Advance(TimeSpan.FromSeconds(25));

        using var cancel = await api.SendAsync(HttpMethod.Post, $"batches/{id}/cancel");
        Assert.Equal("cancelling", (await SimTest.JsonAsync(cancel)).GetProperty("status").GetString());
        time.Advance(TimeSpan.FromSeconds(30));
        var cancelled = await api.GetAsync($"batches/{id}");
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(25, cancelled.GetProperty("request_counts").GetProperty("completed").GetInt32());
        var errors = BatchApiClient.ParseLines(await api.ContentAsync(cancelled.GetProperty("error_file_id").GetString()!));
        Assert.Equal(75, errors.Count);
        Assert.All(errors, e => Assert.Equal("batch_cancelled", e.GetProperty("error").GetProperty("code").GetString()));

        using var again = await api.SendAsync(HttpMethod.Post, $"batches/{id}/cancel");
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
    }

    [Fact]
    public async Task Batch_PastEnqueuedTokenLimit_FailsWithTokenLimitExceededUntilOthersEnd()
    {
        var firstLines = BatchApiClient.Lines(60, i => $"first {i}");
        var secondLines = BatchApiClient.Lines(60, i => $"second {i}");
        var (options, time) = Options(o => o.BatchEnqueuedTokens = PromptTokens(firstLines) + PromptTokens(secondLines) - 1);
        await using var served = await StartAsync(options);
        var (sim, http, api) = served;
        var first = await api.UploadAsync(firstLines);
        var second = await api.UploadAsync(secondLines);
        var a = (await api.CreateAsync(first.GetProperty("id").GetString()!)).GetProperty("id").GetString();
        var b = (await api.CreateAsync(second.GetProperty("id").GetString()!)).GetProperty("id").GetString();
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal("in_progress", (await api.GetAsync($"batches/{a}")).GetProperty("status").GetString());
        var refused = await api.GetAsync($"batches/{b}");
        Assert.Equal("failed", refused.GetProperty("status").GetString());
        Assert.Equal("token_limit_exceeded", refused.GetProperty("errors").GetProperty("data")[0].GetProperty("code").GetString());

        time.Advance(Duration);
        Assert.Equal("completed", (await api.GetAsync($"batches/{a}")).GetProperty("status").GetString());
        var retried = (await api.CreateAsync(second.GetProperty("id").GetString()!)).GetProperty("id").GetString();
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("in_progress", (await api.GetAsync($"batches/{retried}")).GetProperty("status").GetString());
        var stats = sim.GetStats().Batches;
        Assert.Equal(1, stats.TokenLimitRejected);
        Assert.Equal(0, stats.DuplicateBatches);
    }

    [Fact]
    public async Task Batch_InvalidFile_FailsWithLineNumbers()
    {
        var (options, time) = Options();
        await using var served = await StartAsync(options);
        var (sim, http, api) = served;
        var content = BatchApiClient.Lines(2) + BatchApiClient.Lines(1, model: "gpt-4o") + "not json\n";
        var file = await api.UploadAsync(content);
        var id = (await api.CreateAsync(file.GetProperty("id").GetString()!)).GetProperty("id").GetString();
        time.Advance(TimeSpan.FromSeconds(5));

        var failed = await api.GetAsync($"batches/{id}");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        var errors = failed.GetProperty("errors").GetProperty("data").EnumerateArray().ToList();
        Assert.Contains(errors, e => e.GetProperty("code").GetString() == "duplicate_custom_id" && e.GetProperty("line").GetInt32() == 3);
        Assert.Contains(errors, e => e.GetProperty("code").GetString() == "invalid_json_line" && e.GetProperty("line").GetInt32() == 4);
    }

    [Fact]
    public async Task Batch_ItemErrorsInjected_500LinesInErrorFile()
    {
        var (options, time) = Options(o => o.PBatchItemError = 0.3);
        await using var served = await StartAsync(options);
        var (sim, http, api) = served;
        var file = await api.UploadAsync(BatchApiClient.Lines(100));
        var id = (await api.CreateAsync(file.GetProperty("id").GetString()!)).GetProperty("id").GetString();
        time.Advance(Duration);

        var done = await api.GetAsync($"batches/{id}");
        var failed = done.GetProperty("request_counts").GetProperty("failed").GetInt32();
        Assert.InRange(failed, 15, 45);
        var errors = BatchApiClient.ParseLines(await api.ContentAsync(done.GetProperty("error_file_id").GetString()!));
        Assert.Equal(failed, errors.Count);
        Assert.All(errors, e =>
        {
            Assert.Equal(500, e.GetProperty("response").GetProperty("status_code").GetInt32());
            Assert.Equal(JsonValueKind.Null, e.GetProperty("error").ValueKind);
        });
    }

    [Fact]
    public async Task Stats_SameContentUploadedTwiceAndLiveBatchCreatedTwice_Counted()
    {
        var (options, _) = Options();
        await using var served = await StartAsync(options);
        var (sim, http, api) = served;
        var content = BatchApiClient.Lines(5);
        var file = await api.UploadAsync(content);
        await api.UploadAsync(content, "again.jsonl");
        await api.CreateAsync(file.GetProperty("id").GetString()!);
        await api.CreateAsync(file.GetProperty("id").GetString()!);

        var stats = sim.GetStats();
        Assert.Equal(1, stats.Batches.DuplicateUploads);
        Assert.Equal(1, stats.Batches.DuplicateBatches);
        Assert.Equal(2, stats.Requests["/v1/batches"][200]);
    }

    [Fact]
    public async Task Azure_DatedPathsNeedApiVersion_ObjectsInAzureForm()
    {
        var (options, time) = Options(o => o.Azure = true);
        await using var served = await StartAsync(options, "/openai/");
        var (sim, http, api) = served;
        using var noVersion = await api.SendAsync(HttpMethod.Get, "batches");
        Assert.Equal(HttpStatusCode.NotFound, noVersion.StatusCode);

        var azure = new BatchApiClient(http, "/openai/v1/");
        var file = await azure.UploadAsync(BatchApiClient.Lines(4, url: "/chat/completions"));
        var batch = await azure.CreateAsync(file.GetProperty("id").GetString()!, "/chat/completions");
        Assert.Equal("Validating", batch.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.String, batch.GetProperty("created_at").ValueKind);
        time.Advance(Duration);
        var dated = await api.GetAsync($"batches/{batch.GetProperty("id").GetString()}?api-version=2024-10-21");
        Assert.Equal("Completed", dated.GetProperty("status").GetString());
    }

    private static async Task<JsonElement> OnlyBodyAsync(BatchApiClient api, string batchId)
    {
        var batch = await api.GetAsync($"batches/{batchId}");
        Assert.Equal("completed", batch.GetProperty("status").GetString());
        return BatchApiClient.ParseLines(await api.ContentAsync(batch.GetProperty("output_file_id").GetString()!)).Single().GetProperty("response").GetProperty("body");
    }

    private static long PromptTokens(string lines) => lines.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(l => JsonDocument.Parse(l).RootElement)
        .Sum(l => (long)TokenCounter.Shared.CountPromptTokens(BatchRequest.Create("x", l.GetProperty("url").GetString()!, l.GetProperty("body").GetRawText())));

    private static string WithoutCreated(JsonElement body) =>
        string.Join(",", body.EnumerateObject().Where(p => p.Name != "created").Select(p => p.ToString()));
}

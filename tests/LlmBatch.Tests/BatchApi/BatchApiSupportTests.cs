using System.Text.Json;
using LlmBatch.BatchApi;
using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.Tests.BatchApi;

/// <summary>The small pieces of the Batch API job: URLs, object reading, the token budget, the poll schedule.</summary>
public class BatchApiSupportTests
{
    [Fact]
    public void Urls_OpenAi_V1PathsEverywhere()
    {
        var urls = new BatchApiUrls(new Uri("https://api.openai.com/v1"));

        Assert.Equal("https://api.openai.com/v1/files", urls.Files.ToString());
        Assert.Equal("https://api.openai.com/v1/batches/batch_1/cancel", urls.Cancel("batch_1").ToString());
        Assert.Equal("/v1/chat/completions", urls.LineUrl(BatchEndpointKind.ChatCompletions));
        Assert.Equal("/v1/embeddings", urls.Endpoint(BatchEndpointKind.Embeddings));
        Assert.False(urls.Azure);
    }

    [Fact]
    public void Urls_AzureDatedApi_ApiVersionKeptAndEndpointsWithoutV1()
    {
        var urls = new BatchApiUrls(new Uri("https://name.openai.azure.com/openai?api-version=2024-10-21"));

        Assert.Equal("https://name.openai.azure.com/openai/files/file-1/content?api-version=2024-10-21", urls.FileContent("file-1").ToString());
        Assert.Equal("https://name.openai.azure.com/openai/batches?api-version=2024-10-21&limit=100", BatchApiUrls.WithQuery(urls.Batches, "limit=100").ToString());
        Assert.Equal("/chat/completions", urls.LineUrl(BatchEndpointKind.ChatCompletions));
        Assert.Equal("/chat/completions", urls.Endpoint(BatchEndpointKind.ChatCompletions));
        Assert.True(urls.AzureDated);
    }

    [Fact]
    public void Urls_AzureV1Api_V1LinesAndBareEndpoint()
    {
        var urls = new BatchApiUrls(new Uri("https://name.openai.azure.com/openai/v1"));

        Assert.Equal("https://name.openai.azure.com/openai/v1/batches", urls.Batches.ToString());
        Assert.Equal("/v1/chat/completions", urls.LineUrl(BatchEndpointKind.ChatCompletions));
        Assert.Equal("/chat/completions", urls.Endpoint(BatchEndpointKind.ChatCompletions));
        Assert.Equal(("api-key", "k"), HttpBatchHandler.AuthHeader(new Uri("https://name.openai.azure.com/openai/v1"), "k"));
    }

    [Fact]
    public void ReadBatch_OpenAiObject_EveryField()
    {
        using var doc = JsonDocument.Parse("""
            {"id":"batch_1","object":"batch","endpoint":"/v1/chat/completions","errors":null,"input_file_id":"file-in","completion_window":"24h",
             "status":"in_progress","output_file_id":null,"error_file_id":null,"created_at":1800000000,"in_progress_at":1800000010,
             "expires_at":1800086400,"completed_at":null,"request_counts":{"total":100,"completed":40,"failed":2},"metadata":{"llmbatch_job":"lb1"}}
            """);

        var batch = BatchApiJson.ReadBatch(doc.RootElement);

        Assert.Equal(("batch_1", BatchApiStatus.InProgress, "file-in", 100, 40, 2), (batch.Id, batch.Status, batch.InputFileId, batch.Total, batch.Completed, batch.Failed));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1800000010), batch.InProgressAt);
        Assert.Null(batch.EndedAt);
        Assert.Equal("lb1", batch.Metadata["llmbatch_job"]);
    }

    [Fact]
    public void ReadBatch_AzureObject_IsoTimesCapitalisedStatusNullCountsAndErrors()
    {
        using var doc = JsonDocument.Parse("""
            {"id":"batch_a","status":"Failed","created_at":"2024-07-19T17:13:57.2491382+00:00","failed_at":"2024-07-19T17:20:00+00:00",
             "request_counts":{"total":null,"completed":null,"failed":null},
             "errors":{"object":"list","data":[{"code":"token_limit_exceeded","message":"Enqueued token limit reached","param":null,"line":null}]}}
            """);

        var batch = BatchApiJson.ReadBatch(doc.RootElement);

        Assert.Equal(BatchApiStatus.Failed, batch.Status);
        Assert.Equal(new DateTimeOffset(2024, 7, 19, 17, 20, 0, TimeSpan.Zero), batch.EndedAt);
        Assert.Equal(0, batch.Total);
        Assert.Equal("token_limit_exceeded", Assert.Single(batch.Errors).Code);
    }

    [Fact]
    public void EnqueuedTokenBudget_RefusalLearnsTheCeilingAndLaterChunksWaitUnderIt()
    {
        var learned = new Dictionary<string, long>();
        var budget = new EnqueuedTokenBudget(learned, configured: null);
        Assert.True(budget.Allows("m", 50_000, 50_000));

        budget.Refused("m", ours: 60_000, tokens: 40_000);

        Assert.Equal(99_999, learned["m"]);
        Assert.False(budget.Allows("m", 60_000, 40_000));
        Assert.True(budget.Allows("m", 50_000, 40_000));
        Assert.True(budget.Allows("m", 0, 500_000));
        Assert.True(budget.Allows("other", 60_000, 40_000));
    }

    [Fact]
    public void EnqueuedTokenBudget_Configured_CapsAndFlagsChunksTooBigAlone()
    {
        var budget = new EnqueuedTokenBudget([], configured: 1_000);

        Assert.False(budget.Allows("m", 600, 500));
        Assert.True(budget.TooBig(1_001));
        Assert.False(budget.TooBig(1_000));
    }

    [Fact]
    public void PollSchedule_GrowsHalfAgainWhileQuietToTheCapAndResetsOnChange()
    {
        var schedule = new PollSchedule(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(10));

        Assert.Equal(TimeSpan.FromSeconds(6), schedule.Next(changed: false));
        Assert.Equal(TimeSpan.FromSeconds(9), schedule.Next(changed: false));
        Assert.Equal(TimeSpan.FromSeconds(10), schedule.Next(changed: false));
        Assert.Equal(TimeSpan.FromSeconds(10), schedule.Next(changed: false));
        Assert.Equal(TimeSpan.FromSeconds(4), schedule.Next(changed: true));
    }
}

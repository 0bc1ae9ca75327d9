using LlmBatch.BatchApi;
using LlmBatch.Input;

namespace LlmBatch.Tests.BatchApi;

public class BatchStateFileTests
{
    [Fact]
    public async Task SaveAsyncThenLoadAsync_EveryFieldRoundTrips()
    {
        using var dir = new TempDir();
        var path = BatchStateFile.PathFor(Path.Combine(dir.Path, "out.jsonl"));
        var state = new BatchJobState
        {
            JobId = "lb0123456789ab",
            Input = "/data/in.jsonl",
            BaseUrl = "https://api.openai.com/v1",
            StartedAt = new DateTimeOffset(2026, 11, 28, 3, 0, 0, TimeSpan.Zero),
            DeadlineAt = new DateTimeOffset(2026, 11, 28, 5, 0, 0, TimeSpan.Zero),
            Cleanup = ["file-1"],
            TokenCeilings = { ["gpt-4o-mini"] = 89_999 },
        };
        state.Chunks.Add(new BatchChunkState
        {
            Index = 3, Submissions = 2, Kind = BatchEndpointKind.Embeddings, Model = "text-embedding-3-small", Requests = 7, Bytes = 700,
            PromptTokens = 70, File = "chunk-0003.jsonl", UploadName = "llmbatch-lb-0003.jsonl", Phase = ChunkPhase.Creating, FileId = "file-9",
            CreatingSince = state.StartedAt, BatchIds = ["batch_a"], EnqueuedAtCreation = 5, Status = BatchApiStatus.InProgress, Completed = 4, Failed = 1,
            Problem = "token_limit_exceeded: full",
        });

        await BatchStateFile.SaveAsync(path, state, TestContext.Current.CancellationToken);
        var loaded = await BatchStateFile.LoadAsync(path, TestContext.Current.CancellationToken);

        Assert.NotNull(loaded);
        Assert.Equal(state.JobId, loaded.JobId);
        Assert.Equal(state.DeadlineAt, loaded.DeadlineAt);
        Assert.Equal(["file-1"], loaded.Cleanup);
        Assert.Equal(89_999, loaded.TokenCeilings["gpt-4o-mini"]);
        var chunk = Assert.Single(loaded.Chunks);
        Assert.Equal((3, 2, BatchEndpointKind.Embeddings, ChunkPhase.Creating, "file-9", BatchApiStatus.InProgress, 4, 1),
            (chunk.Index, chunk.Submissions, chunk.Kind, chunk.Phase, chunk.FileId, chunk.Status, chunk.Completed, chunk.Failed));
        Assert.Equal(["batch_a"], chunk.BatchIds);
        Assert.Equal("token_limit_exceeded: full", chunk.Problem);
        Assert.Contains("\"phase\": \"creating\"", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task LoadAsync_NoFile_Null()
    {
        using var dir = new TempDir();
        Assert.Null(await BatchStateFile.LoadAsync(Path.Combine(dir.Path, "none.batches.json"), TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"version":99,"job_id":"lb1"}""")]
    [InlineData("""{"version":1}""")]
    public async Task LoadAsync_UnreadableOrForeignFile_InputErrorNamingTheFile(string content)
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl.batches.json", content);

        var error = await Assert.ThrowsAsync<BatchInputException>(() => BatchStateFile.LoadAsync(path, TestContext.Current.CancellationToken));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PathFor_BesideTheOutput()
    {
        var output = Path.Combine(Path.GetTempPath(), "results.jsonl");
        Assert.Equal(output + ".batches.json", BatchStateFile.PathFor(output));
        Assert.Equal(output + ".batches", BatchStateFile.WorkDirectoryFor(output));
    }
}

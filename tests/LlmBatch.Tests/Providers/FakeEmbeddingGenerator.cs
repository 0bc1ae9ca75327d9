using Microsoft.Extensions.AI;

namespace LlmBatch.Tests.Providers;

/// <summary>An embedding generator that records its inputs and answers with a given function.</summary>
public sealed class FakeEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly Func<IReadOnlyList<string>, EmbeddingGenerationOptions?, GeneratedEmbeddings<Embedding<float>>> _generate;

    public FakeEmbeddingGenerator(Func<IReadOnlyList<string>, EmbeddingGenerationOptions?, GeneratedEmbeddings<Embedding<float>>> generate) => _generate = generate;

    public List<(IReadOnlyList<string> Inputs, EmbeddingGenerationOptions? Options)> Calls { get; } = [];

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = values.ToList();
        Calls.Add((list, options));
        return Task.FromResult(_generate(list, options));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

using LlmBatch;
using LlmBatch.Input;
using LlmBatch.Providers;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers an <see cref="IBatchEngine"/> with dependency injection.</summary>
public static class LlmBatchServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="IBatchEngine"/> over the provider that <paramref name="provider"/> builds.
    /// A <see cref="TimeProvider"/> and an <see cref="ILoggerFactory"/> registered in the container are used when present.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="provider">Builds the provider handler, for example <c>_ => BatchProviders.Http(uri, key)</c>.</param>
    /// <param name="configure">Sets options; they are validated when the engine is first resolved.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddLlmBatch(this IServiceCollection services, Func<IServiceProvider, IBatchHandler> provider, Action<BatchOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(provider);
        services.AddSingleton(sp =>
        {
            var options = new BatchOptions();
            configure?.Invoke(options);
            return BuildEngine(sp, provider(sp), options);
        });
        return services;
    }

    /// <summary>Builds the engine with the container's <see cref="TimeProvider"/> and <see cref="ILoggerFactory"/> when present (also used by LlmBatch.Hosting).</summary>
    internal static IBatchEngine BuildEngine(IServiceProvider services, IBatchHandler provider, BatchOptions options)
    {
        var builder = new BatchEngineBuilder(provider).WithOptions(options);
        if (services.GetService<TimeProvider>() is { } time)
        {
            builder.WithTimeProvider(time);
        }

        if (services.GetService<ILoggerFactory>() is { } loggers)
        {
            builder.WithLoggerFactory(loggers);
        }

        return builder.Build();
    }

    /// <summary>
    /// Registers a singleton <see cref="IBatchEngine"/> over the <see cref="IChatClient"/> and/or
    /// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> already in the container: chat requests go to the chat client,
    /// embedding requests to the generator, with the same limits, retries and checkpointing as HTTP endpoints.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets options.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddLlmBatch(this IServiceCollection services, Action<BatchOptions>? configure = null) =>
        services.AddLlmBatch(
            sp =>
            {
                var chat = sp.GetService<IChatClient>();
                var embeddings = sp.GetService<IEmbeddingGenerator<string, Embedding<float>>>();
                if (chat is null && embeddings is null)
                {
                    throw new InvalidOperationException("AddLlmBatch() without a provider needs an IChatClient or an IEmbeddingGenerator<string, Embedding<float>> registered in the container.");
                }

                var chatHandler = chat is null ? null : BatchProviders.ChatClient(chat);
                var embeddingHandler = embeddings is null ? null : BatchProviders.EmbeddingGenerator(embeddings);
                return BatchProviders.Route(
                    request => request.Endpoint == BatchEndpointKind.Embeddings ? embeddingHandler : chatHandler,
                    (chatHandler ?? embeddingHandler)!);
            },
            configure);
}

using LlmBatch;
using LlmBatch.Hosting;
using LlmBatch.Providers;
using LlmBatch.Typed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers LlmBatch in a host from configuration.</summary>
public static class LlmBatchHostingServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="LlmBatchHostOptions"/> from <paramref name="configuration"/>, validates it once when the host
    /// starts (one <see cref="OptionsValidationException"/> listing every problem; an unknown key is an error too), and
    /// registers a singleton <see cref="IBatchEngine"/> sending to the configured endpoint and a singleton
    /// <see cref="TypedBatchRunner"/> over it. When the host registered an <see cref="IHttpClientFactory"/>, requests go
    /// through its client named <see cref="LlmBatchHostOptions.HttpClientName"/> (whose primary handler is LlmBatch's own,
    /// unless the host configures another, and whose overall timeout is off, as the engine's attempt timeout owns time);
    /// otherwise through the built-in client.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section, for example <c>configuration.GetSection("LlmBatch")</c>.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddLlmBatch(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<LlmBatchHostOptions>()
            .Bind(configuration, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LlmBatchHostOptions>, LlmBatchHostOptionsValidator>());

        // Takes effect only if the host has a factory; a host that configures the same client after this call wins.
        var clientName = configuration[nameof(LlmBatchHostOptions.HttpClientName)] is { Length: > 0 } named ? named : LlmBatchHostOptions.DefaultHttpClientName;
        services.Configure<HttpClientFactoryOptions>(clientName, factory =>
            factory.HttpMessageHandlerBuilderActions.Add(static builder => builder.PrimaryHandler = HttpBatchHandler.CreateDefaultHandler()));

        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<LlmBatchHostOptions>>().Value;
            var endpoint = LlmBatchHostOptionsValidator.Resolve(options, Environment.GetEnvironmentVariable);
            var client = sp.GetService<IHttpClientFactory>()?.CreateClient(options.HttpClientName);
            if (client is not null)
            {
                client.Timeout = Timeout.InfiniteTimeSpan;
            }

            var provider = BatchProviders.Http(endpoint.BaseUrl!, endpoint.ApiKey, client, options.MaxResponseBytes);
            return LlmBatchServiceCollectionExtensions.BuildEngine(sp, provider, options.Engine);
        });
        services.AddSingleton(sp => new TypedBatchRunner(sp.GetRequiredService<IBatchEngine>(), sp.GetRequiredService<IOptions<LlmBatchHostOptions>>().Value.Runner));
        return services;
    }
}

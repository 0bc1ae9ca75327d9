using LlmBatch.Simulator;
using LlmBatch.Typed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LlmBatch.Hosting.Tests.DependencyInjection;

public sealed class LlmBatchHostingServiceCollectionExtensionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IHost Host(Dictionary<string, string?> settings, Action<IServiceCollection>? more = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLlmBatch(builder.Configuration.GetSection("LlmBatch"));
        more?.Invoke(builder.Services);
        return builder.Build();
    }

    private static async IAsyncEnumerable<EmbeddingBatchItem> Texts(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return new EmbeddingBatchItem($"doc-{i}", $"text number {i}");
        }
    }

    [Fact]
    public async Task AddLlmBatch_ConfigurationSection_BindsEveryLevelAndRunsAgainstTheSimulator()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = TimeSpan.FromMilliseconds(1), EmbeddingDimensions = 8, Seed = 1 }, Ct);
        using var host = Host(new()
        {
            ["LlmBatch:BaseUrl"] = sim.BaseUrl.ToString(),
            ["LlmBatch:Engine:MaxConcurrency"] = "3",
            ["LlmBatch:Engine:RequestsPerMinute"] = "60000",
            ["LlmBatch:Engine:RetryBaseDelay"] = "00:00:00.050",
            ["LlmBatch:Engine:PackSize"] = "1",
            ["LlmBatch:Runner:EmbeddingModel"] = "text-embedding-3-small",
        });
        await host.StartAsync(Ct);

        var options = host.Services.GetRequiredService<IOptions<LlmBatchHostOptions>>().Value;
        var results = await host.Services.GetRequiredService<TypedBatchRunner>().RunEmbeddingsAsync(Texts(12), Ct).ToListAsync(Ct);
        await host.StopAsync(Ct);

        Assert.Equal((3, 60000d, TimeSpan.FromMilliseconds(50)), (options.Engine.MaxConcurrency, options.Engine.RequestsPerMinute!.Value, options.Engine.RetryBaseDelay));
        Assert.Equal(12, results.Count);
        Assert.All(results, r => Assert.Equal(8, r.Value?.Vector.Length));
        Assert.Equal(12, sim.GetStats().TotalRequests);
    }

    [Fact]
    public async Task AddLlmBatch_InvalidSection_StartFailsOnceListingEveryProblem()
    {
        using var host = Host(new()
        {
            ["LlmBatch:BaseUrl"] = "ftp://example.com/v1",
            ["LlmBatch:MaxResponseBytes"] = "10",
            ["LlmBatch:Engine:MaxConcurrency"] = "0",
            ["LlmBatch:Engine:RequestsPerMinute"] = "-5",
            ["LlmBatch:Runner:ShutdownGracePeriod"] = "-00:00:01",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Equal(5, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.Contains("BaseUrl \"ftp://example.com/v1\" is not an absolute http or https URL", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("MaxResponseBytes", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Engine: MaxConcurrency", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Engine: RequestsPerMinute", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Runner: ShutdownGracePeriod", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddLlmBatch_MisspelledKey_StartFailsNamingIt()
    {
        using var host = Host(new() { ["LlmBatch:BaseUrl"] = "http://127.0.0.1:9/v1", ["LlmBatch:Engine:MaxConcurency"] = "4" });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync(Ct));

        Assert.Contains("MaxConcurency", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddLlmBatch_HostHasHttpClientFactory_RequestsGoThroughItsNamedClient()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = TimeSpan.FromMilliseconds(1), EmbeddingDimensions = 4, Seed = 2 }, Ct);
        var counter = new CountingHandler();
        using var host = Host(
            new() { ["LlmBatch:BaseUrl"] = sim.BaseUrl.ToString(), ["LlmBatch:HttpClientName"] = "embeddings", ["LlmBatch:Runner:EmbeddingModel"] = "e" },
            services => services.AddHttpClient("embeddings").AddHttpMessageHandler(() => counter));
        await host.StartAsync(Ct);

        var results = await host.Services.GetRequiredService<TypedBatchRunner>().RunEmbeddingsAsync(Texts(5), Ct).ToListAsync(Ct);
        await host.StopAsync(Ct);

        Assert.Equal(5, results.Count(r => r.IsSuccess));
        Assert.InRange(counter.Count, 1, 5);
        Assert.Equal(sim.GetStats().TotalRequests, counter.Count);
    }

    private sealed class CountingHandler : DelegatingHandler
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return base.SendAsync(request, cancellationToken);
        }
    }
}

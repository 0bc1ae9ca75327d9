using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmBatch.Tests.Providers;

/// <summary>
/// A real Kestrel server on 127.0.0.1 with an OS-chosen port, answering every request with one delegate.
/// Start it with <see cref="StartAsync"/>, send to <see cref="BaseUrl"/>, dispose it at the end of the test.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackServer(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The server's root, for example <c>http://127.0.0.1:41234/</c> (no path).</summary>
    public Uri BaseUrl { get; }

    /// <summary>Starts a server that runs <paramref name="handler"/> for every request.</summary>
    public static async Task<LoopbackServer> StartAsync(RequestDelegate handler, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.AddServerHeader = false);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackServer(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/"));
    }

    /// <summary>A URL under the server's root.</summary>
    public Uri Url(string pathAndQuery) => new(BaseUrl, pathAndQuery);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Hung handlers in tests wait on RequestAborted; a short stop aborts them instead of waiting.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}

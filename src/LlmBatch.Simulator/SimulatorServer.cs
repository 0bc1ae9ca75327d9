using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmBatch.Simulator;

/// <summary>
/// A running simulated OpenAI-compatible provider on Kestrel. Start it with <see cref="StartAsync"/>, point a
/// client at <see cref="BaseUrl"/>, read <see cref="GetStats"/>, and dispose it to stop.
/// </summary>
/// <example>
/// <code>
/// await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { RequestsPerMinute = 600, P500 = 0.02 });
/// var handler = BatchProviders.Http(sim.BaseUrl, apiKey: null);
/// </code>
/// </example>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SimulatorHandler _handler;
    private int _disposed;

    private SimulatorServer(WebApplication app, SimulatorHandler handler, Uri baseUrl)
    {
        _app = app;
        _handler = handler;
        BaseUrl = baseUrl;
    }

    /// <summary>The OpenAI base URL of the simulator, ending in <c>/v1</c> (for example <c>http://127.0.0.1:8089/v1</c>).</summary>
    public Uri BaseUrl { get; }

    /// <summary>Validates <paramref name="options"/>, binds the port and starts serving.</summary>
    /// <param name="options">How the simulator behaves; read once, later changes have no effect.</param>
    /// <param name="ct">Cancels start-up.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="BatchOptionsException">The options are invalid.</exception>
    /// <exception cref="IOException">The address cannot be bound (for example, the port is in use).</exception>
    public static async Task<SimulatorServer> StartAsync(SimulatorOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var address = ParseHost(options.Host);
        var handler = new SimulatorHandler(options);
        try
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(SimulatorServer).Assembly.GetName().Name });
            builder.Logging.ClearProviders();
            if (options.LogToConsole)
            {
                builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Information);
            }
            else
            {
                builder.Logging.SetMinimumLevel(LogLevel.None);
            }

            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxConcurrentConnections = null;
                kestrel.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(5);
                kestrel.Listen(address, options.Port);
            });
            var app = builder.Build();
            app.Run(handler.HandleAsync);
            await app.StartAsync(ct).ConfigureAwait(false);
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            var port = bound is null ? options.Port : new Uri(bound).Port;
            return new SimulatorServer(app, handler, new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{UrlHost(address)}:{port}/v1")));
        }
        catch
        {
            handler.Dispose();
            throw;
        }
    }

    /// <summary>The figures of what was served since start or the last <see cref="ResetStats"/>.</summary>
    /// <returns>A snapshot; later requests do not change it.</returns>
    public SimulatorStats GetStats() => _handler.Stats.Snapshot();

    /// <summary>Zeroes every figure (as <c>POST /stats/reset</c> does); rate-limit buckets and fault sequences carry on.</summary>
    public void ResetStats() => _handler.Stats.Reset();

    /// <summary>Stops listening, drops requests still held (hangs, queues) and releases the port.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _handler.AbortAll();
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stopping.Token).ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _handler.Dispose();
    }

    private static IPAddress ParseHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
        : IPAddress.TryParse(host.Trim('[', ']'), out var ip) ? ip
        : throw new BatchOptionsException([$"Host must be an IP address or 'localhost' (was '{host}')."]);

    private static string UrlHost(IPAddress address)
    {
        if (address.Equals(IPAddress.Any))
        {
            return "127.0.0.1";
        }

        if (address.Equals(IPAddress.IPv6Any))
        {
            return "[::1]";
        }

        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
    }
}

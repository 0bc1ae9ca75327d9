using System.Runtime.CompilerServices;
using LlmBatch.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LlmBatch.Cli.Telemetry;

/// <summary>
/// Opt-in export of LlmBatch's metrics and traces through OpenTelemetry: OTLP (with <c>--otlp</c>, or when the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; every other <c>OTEL_*</c> variable applies as usual) and a Prometheus
/// scrape endpoint on <c>127.0.0.1</c> (<c>--prometheus-port</c>). Nothing is set up, and nothing costs, without them.
/// </summary>
internal static class TelemetrySetup
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Starts the exporters asked for.</summary>
    /// <param name="otlp">True for <c>--otlp</c>.</param>
    /// <param name="otlpEndpoint">An explicit endpoint (<c>--otlp URL</c>), or null for the environment's or OTLP's default.</param>
    /// <param name="prometheusPort">The scrape port, or null for none.</param>
    /// <returns>A handle that flushes and stops the exporters, or null when none was asked for.</returns>
    /// <exception cref="BatchOptionsException">The Prometheus port cannot be listened on (in use, or not allowed).</exception>
    public static IDisposable? Start(bool otlp, Uri? otlpEndpoint, int? prometheusPort)
    {
        var useOtlp = otlp || otlpEndpoint is not null || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(OtlpEndpointVariable));
        return useOtlp || prometheusPort is not null ? StartExporters(useOtlp, otlpEndpoint, prometheusPort) : null;
    }

    // A method of its own, never inlined: the OpenTelemetry assemblies load only when an exporter is asked for, so
    // the runs that ask for none (most) do not pay for loading them at start-up.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Exporters StartExporters(bool useOtlp, Uri? otlpEndpoint, int? prometheusPort)
    {
        var resource = ResourceBuilder.CreateDefault().AddService("llmbatch", serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString());
        var meters = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(LlmBatchTelemetryNames.MeterName);
        TracerProvider? tracer = null;
        if (useOtlp)
        {
            meters.AddOtlpExporter(o => Configure(o, otlpEndpoint));
            tracer = Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(resource)
                .AddSource(LlmBatchTelemetryNames.ActivitySourceName)
                .AddOtlpExporter(o => Configure(o, otlpEndpoint))
                .Build();
        }

        if (prometheusPort is { } port)
        {
            meters.AddPrometheusHttpListener(o =>
            {
                o.Host = "127.0.0.1";
                o.Port = port;
            });
        }

        try
        {
            return new Exporters(meters.Build(), tracer);
        }
        catch (InvalidOperationException ex) when (prometheusPort is { } busy && ex.InnerException is System.Net.HttpListenerException listener)
        {
            // Found before anything is sent: a usage error naming the flag, not an unexpected failure.
            tracer?.Dispose();
            throw new BatchOptionsException([$"--prometheus-port {busy}: cannot listen on 127.0.0.1:{busy} ({listener.Message}); choose another port; nothing was sent."]);
        }
    }

    private static void Configure(OtlpExporterOptions options, Uri? endpoint)
    {
        if (endpoint is not null)
        {
            options.Endpoint = endpoint;
        }
    }

    private sealed class Exporters(MeterProvider? meters, TracerProvider? tracer) : IDisposable
    {
        public void Dispose()
        {
            // Dispose flushes what is buffered, so a short run's figures still reach the collector.
            tracer?.Dispose();
            meters?.Dispose();
        }
    }
}

using System.Net;
using System.Net.Sockets;
using LlmBatch.Cli.Telemetry;
using LlmBatch.Output;
using LlmBatch.Telemetry;

namespace LlmBatch.Cli.Tests.Telemetry;

public class TelemetrySetupTests
{
    [Fact]
    public void Start_NothingAskedFor_ReturnsNull()
    {
        if (Environment.GetEnvironmentVariable(TelemetrySetup.OtlpEndpointVariable) is null)
        {
            Assert.Null(TelemetrySetup.Start(otlp: false, otlpEndpoint: null, prometheusPort: null));
        }
    }

    [Fact]
    public async Task Start_PrometheusPort_ServesLlmBatchMetricsOnLoopback()
    {
        var port = FreePort();
        using (TelemetrySetup.Start(otlp: false, otlpEndpoint: null, prometheusPort: port))
        {
            LlmBatchTelemetry.RecordItemCompleted(new BatchResult
            {
                CustomId = "a",
                Id = "batch_req_a",
                StatusCode = 200,
                Stats = new BatchItemStats { Attempts = 2, Statuses = [429, 200], Model = "prom-test" },
            });

            using var http = new HttpClient();
            var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), TestContext.Current.CancellationToken);

            Assert.Contains("llmbatch_items_completed", text, StringComparison.Ordinal);
            Assert.Contains("prom-test", text, StringComparison.Ordinal);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

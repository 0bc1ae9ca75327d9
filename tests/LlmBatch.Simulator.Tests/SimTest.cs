using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LlmBatch.Simulator.Tests;

/// <summary>Helpers shared by the simulator tests: instant options, a client and JSON posting.</summary>
internal static class SimTest
{
    public const string Chat = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}]}""";

    public static SimulatorOptions Instant() => new() { Latency = TimeSpan.Zero, PerToken = TimeSpan.Zero, LatencyJitter = 0 };

    public static HttpClient Client(SimulatorServer sim) => new() { BaseAddress = new Uri(sim.BaseUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string json, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    /// <summary>
    /// The server records a request in a <c>finally</c> after its response has gone out, so a client that has seen its last
    /// answer (or its reset) can read the stats a moment before the last records land (3,9xx of 4,000 seen on CI). Waits,
    /// yielding, until at least <paramref name="requests"/> are recorded, or 10 s have passed.
    /// </summary>
    public static async Task<SimulatorStats> StatsAfterAsync(SimulatorServer sim, long requests)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var stats = sim.GetStats();
        while (stats.TotalRequests < requests && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
            stats = sim.GetStats();
        }

        return stats;
    }

    public static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";
}

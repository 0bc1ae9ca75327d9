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

    public static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";
}

using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Simulator.Tests.Faults;

public class FaultTests
{
    [Fact]
    public async Task FaultRates_FourThousandRequests_WithinFourSigmaOfConfigured()
    {
        const int n = 4000;
        const double p = 0.05;
        var options = SimTest.Instant();
        options.P500 = p;
        options.P503 = p;
        options.P529 = p;
        options.PTruncate = p;
        options.PReset = p;
        options.PHang = p;
        options.PSlow = p;
        options.HangDuration = TimeSpan.Zero;
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var next = -1;
        var workers = Enumerable.Range(0, 8).Select(async _ =>
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= n)
                {
                    return;
                }

                var outcome = await OutcomeAsync(client, $$"""{"model":"m","messages":[{"role":"user","content":"item {{i}}"}]}""");
                statuses.AddOrUpdate(outcome, 1, (_, c) => c + 1);
            }
        });
        await Task.WhenAll(workers);

        var stats = await SimTest.StatsAfterAsync(sim, n);
        var total = stats.TotalRequests;
        Assert.True(total >= n, $"{total} requests recorded");
        var sigma = Math.Sqrt(total * p * (1 - p));
        foreach (var kind in new[] { "500", "503", "529", "truncate", "reset", "hang", "slow" })
        {
            Assert.InRange(stats.Faults[kind], (total * p) - (4 * sigma), (total * p) + (4 * sigma));
        }

        // What the client saw agrees with what the server says it injected.
        Assert.Equal(stats.Faults["500"], statuses.GetValueOrDefault("500"));
        Assert.Equal(stats.Faults["503"], statuses.GetValueOrDefault("503"));
        Assert.Equal(stats.Faults["529"], statuses.GetValueOrDefault("529"));
        Assert.Equal(stats.Faults["truncate"], statuses.GetValueOrDefault("truncated"));
        Assert.Equal(stats.Requests["/v1/chat/completions"][0], stats.Faults["reset"] + stats.Faults["hang"]);
    }

    [Fact]
    public async Task Faults_SameSeedSameRequests_SameOutcomesInOrder()
    {
        var options = SimTest.Instant();
        options.P500 = 0.2;
        options.P503 = 0.2;
        options.Seed = 7;
        var outcomes = new List<string>[2];
        for (var run = 0; run < 2; run++)
        {
            await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
            using var client = SimTest.Client(sim);
            outcomes[run] = [];
            for (var i = 0; i < 100; i++)
            {
                outcomes[run].Add(await OutcomeAsync(client, $$"""{"model":"m","messages":[{"role":"user","content":"item {{i % 10}}"}]}"""));
            }
        }

        Assert.Equal(outcomes[0], outcomes[1]);
        Assert.Contains("500", outcomes[0]);
        Assert.Contains("200", outcomes[0]);
    }

    [Fact]
    public async Task Truncate_200WithWellFramedButInvalidJson()
    {
        var options = SimTest.Instant();
        options.PTruncate = 1;
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(text.Length, response.Content.Headers.ContentLength);
        Assert.StartsWith("{\"id\":", text);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(text));
        Assert.Equal(0, sim.GetStats().DuplicateSuccesses + sim.GetStats().CompletionTokens);
    }

    [Fact]
    public async Task TruncateStreaming_StreamEndsWithoutDone()
    {
        var options = SimTest.Instant();
        options.PTruncate = 1;
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, "chat/completions", """{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}""");
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("[DONE]", text);
        Assert.False(text.EndsWith("\n\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reset_ConnectionDroppedWithoutResponse()
    {
        var options = SimTest.Instant();
        options.PReset = 1;
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        await Assert.ThrowsAsync<HttpRequestException>(() => SimTest.PostAsync(client, "chat/completions", SimTest.Chat));
        Assert.True(sim.GetStats().Faults["reset"] >= 1);
    }

    [Fact]
    public async Task Hang_HeldForHangDurationThenDropped()
    {
        var time = new FakeTimeProvider();
        var options = SimTest.Instant();
        options.PHang = 1;
        options.HangDuration = TimeSpan.FromSeconds(60);
        options.TimeProvider = time;
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        var pending = SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        var advanced = await AdvanceUntilDoneAsync(time, pending, TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<HttpRequestException>(() => pending);
        Assert.True(advanced >= TimeSpan.FromSeconds(60), $"dropped after {advanced}");
    }

    [Fact]
    public async Task Slow_LatencyMultipliedBySlowFactor()
    {
        var time = new FakeTimeProvider();
        var options = SimTest.Instant();
        options.Latency = TimeSpan.FromMilliseconds(100);
        options.PSlow = 1;
        options.SlowFactor = 10;
        options.TimeProvider = time;
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        var pending = SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        var advanced = await AdvanceUntilDoneAsync(time, pending, TimeSpan.FromMilliseconds(50));
        using var response = await pending;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(advanced >= TimeSpan.FromSeconds(1), $"answered after {advanced}");
    }

    /// <summary>Moves fake time forward in steps until the request completes; returns how far it moved.</summary>
    internal static async Task<TimeSpan> AdvanceUntilDoneAsync(FakeTimeProvider time, Task pending, TimeSpan step)
    {
        var advanced = TimeSpan.Zero;
        for (var i = 0; i < 10_000 && !pending.IsCompleted; i++)
        {
            await Task.Delay(2, TestContext.Current.CancellationToken);
            if (!pending.IsCompleted)
            {
                time.Advance(step);
                advanced += step;
            }
        }

        await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        return advanced;
    }

    private static async Task<string> OutcomeAsync(HttpClient client, string body)
    {
        try
        {
            using var response = await SimTest.PostAsync(client, "chat/completions", body);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return ((int)response.StatusCode).ToString();
            }

            try
            {
                JsonDocument.Parse(text).Dispose();
                return "200";
            }
            catch (JsonException)
            {
                return "truncated";
            }
        }
        catch (HttpRequestException)
        {
            return "dropped";
        }
    }
}

using System.Net;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Simulator.Tests.Limits;

public class RateLimitTests
{
    private const string Body100 = """{"model":"gpt-4o-mini","max_tokens":100,"messages":[{"role":"user","content":"Say hello"}]}""";

    private static int Prompt(string body) => TokenCounter.Shared.CountPromptTokens(BatchRequest.Create("x", "/v1/chat/completions", body));

    private static (SimulatorOptions Options, FakeTimeProvider Time) Limited(int rpm, long tpm, bool azure = false)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = SimTest.Instant();
        options.RequestsPerMinute = rpm;
        options.TokensPerMinute = tpm;
        options.Azure = azure;
        options.TimeProvider = time;
        return (options, time);
    }

    [Fact]
    public async Task Admitted_DefaultHeaders_StateThePerMinuteBudgetNotTheWindow()
    {
        var (options, _) = Limited(600, 100_000);
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, "chat/completions", Body100);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cost = Prompt(Body100) + 100;

        // As OpenAI: a minute's budget less this request, refilled at a sixtieth of the limit a second.
        Assert.Equal("600", SimTest.Header(response, "x-ratelimit-limit-requests"));
        Assert.Equal("599", SimTest.Header(response, "x-ratelimit-remaining-requests"));
        Assert.Equal("100ms", SimTest.Header(response, "x-ratelimit-reset-requests"));
        Assert.Equal((100_000 - cost).ToString(System.Globalization.CultureInfo.InvariantCulture), SimTest.Header(response, "x-ratelimit-remaining-tokens"));
        Assert.Equal($"{(long)Math.Ceiling(cost / (100_000 / 60.0) * 1000)}ms", SimTest.Header(response, "x-ratelimit-reset-tokens"));
    }

    [Fact]
    public async Task OverTheWindow_RefusedWhileTheMinuteHeadersStillShowBudget()
    {
        // 600 RPM enforced over one second: ten go, the eleventh is refused though 590 of the minute remain.
        var (options, _) = Limited(600, 0);
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        for (var i = 0; i < 10; i++)
        {
            using var ok = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var refused = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("590", SimTest.Header(refused, "x-ratelimit-remaining-requests"));
        Assert.Equal("100", SimTest.Header(refused, "retry-after-ms"));
    }

    [Fact]
    public async Task FixedWindows_AdmitAWindowsWorthThenWaitForTheNextWindow()
    {
        var (options, time) = Limited(600, 0);
        options.WindowKind = SimulatorWindowKind.Fixed;
        time.Advance(TimeSpan.FromMilliseconds(500));
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        for (var i = 0; i < 10; i++)
        {
            using var ok = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        // The window is counted from the server's start: a whole second to wait, whatever the refill would say.
        using var refused = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("1000", SimTest.Header(refused, "retry-after-ms"));
        time.Advance(TimeSpan.FromMilliseconds(999));
        using var early = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        Assert.Equal(HttpStatusCode.TooManyRequests, early.StatusCode);
        time.Advance(TimeSpan.FromMilliseconds(1));
        using var next = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task Neighbour_SpendsItsShareAndTheMinuteHeadersShowIt()
    {
        // A neighbour spending 30 % of 600 RPM leaves 7 a second. The minute's remaining stays where this client's
        // burst left it although the client sends only 7 of the 10 a second: the neighbour's 3 are what a client
        // reads from the headers.
        var (options, time) = Limited(600, 0);
        options.NeighbourShare = 0.3;
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        var admitted = 0;
        string? remaining = null;
        for (var step = 0; step < 100; step++)
        {
            using var r = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
            if (r.StatusCode == HttpStatusCode.OK)
            {
                admitted++;
                remaining = SimTest.Header(r, "x-ratelimit-remaining-requests");
            }

            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        // Ten seconds: the one-second burst of 10 plus 7 a second.
        Assert.InRange(admitted, 78, 81);
        Assert.InRange(long.Parse(remaining!, System.Globalization.CultureInfo.InvariantCulture), 585, 595);
    }

    [Fact]
    public async Task Admitted_WindowHeaders_StateTheEnforcedBucket()
    {
        var (options, _) = Limited(600, 100_000);
        options.HeaderScale = SimulatorHeaderScale.Window;
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, "chat/completions", Body100);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cost = Prompt(Body100) + 100;
        var tokenCapacity = 100_000 / 60.0;
        Assert.Equal("600", SimTest.Header(response, "x-ratelimit-limit-requests"));
        Assert.Equal("100000", SimTest.Header(response, "x-ratelimit-limit-tokens"));
        Assert.Equal("9", SimTest.Header(response, "x-ratelimit-remaining-requests"));
        Assert.Equal(((long)Math.Floor(tokenCapacity - cost)).ToString(), SimTest.Header(response, "x-ratelimit-remaining-tokens"));
        Assert.Equal("100ms", SimTest.Header(response, "x-ratelimit-reset-requests"));
        Assert.Equal($"{(long)Math.Ceiling(cost / tokenCapacity * 1000)}ms", SimTest.Header(response, "x-ratelimit-reset-tokens"));
        Assert.Equal("", SimTest.Header(response, "retry-after"));
    }

    [Fact]
    public async Task RequestBucketEmpty_429WithRetryAfterAndRequestsBody_ThenAdmittedOnceRefilled()
    {
        var (options, time) = Limited(60, 0);
        options.HeaderScale = SimulatorHeaderScale.Window;
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var first = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        using var second = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("1", SimTest.Header(second, "retry-after"));
        Assert.Equal("1000", SimTest.Header(second, "retry-after-ms"));
        Assert.Equal("0", SimTest.Header(second, "x-ratelimit-remaining-requests"));
        Assert.Equal("1s", SimTest.Header(second, "x-ratelimit-reset-requests"));
        Assert.Equal("60", SimTest.Header(second, "x-ratelimit-limit-requests"));
        Assert.Equal("", SimTest.Header(second, "x-ratelimit-limit-tokens"));
        var error = (await SimTest.JsonAsync(second)).GetProperty("error");
        Assert.Equal("requests", error.GetProperty("type").GetString());
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.StartsWith("Rate limit reached for gpt-4o-mini", error.GetProperty("message").GetString());

        time.Advance(TimeSpan.FromMilliseconds(999));
        using var early = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        Assert.Equal(HttpStatusCode.TooManyRequests, early.StatusCode);
        Assert.Equal("1", SimTest.Header(early, "retry-after-ms"));

        time.Advance(TimeSpan.FromMilliseconds(1));
        using var recovered = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }

    [Fact]
    public async Task SustainedLoad_AdmitsBurstPlusConfiguredRate()
    {
        var (options, time) = Limited(600, 0);
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        var admitted = 0;
        var limited = 0;
        for (var step = 0; step < 500; step++)
        {
            // Twenty 10 ms steps per 200 ms: try three requests each step, more than the 10/s the limit allows.
            for (var i = 0; i < 3; i++)
            {
                using var r = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    admitted++;
                }
                else
                {
                    Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
                    limited++;
                }
            }

            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        // 5 simulated seconds at 600/min = 50, plus the 10-request burst the bucket starts with.
        Assert.InRange(admitted, 59, 61);
        Assert.Equal(1500 - admitted, limited);
        Assert.Equal(limited, sim.GetStats().RateLimitedRequests);
    }

    [Fact]
    public async Task TokenBucketShort_429TypeTokensWithWaitForThisCost()
    {
        var (options, _) = Limited(0, 12_000);
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        const string body = """{"model":"gpt-4o-mini","max_tokens":120,"messages":[{"role":"user","content":"Say hello"}]}""";
        var cost = Prompt(body) + 120;
        using var first = await SimTest.PostAsync(client, "chat/completions", body);
        using var second = await SimTest.PostAsync(client, "chat/completions", body);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        var error = (await SimTest.JsonAsync(second)).GetProperty("error");
        Assert.Equal("tokens", error.GetProperty("type").GetString());
        Assert.Contains("tokens per min (TPM)", error.GetProperty("message").GetString());

        // Capacity 200 tokens refilling at 200/s: after spending `cost`, the same cost fits in (2·cost − 200)/200 s.
        var expectedMs = (long)Math.Ceiling(((2.0 * cost) - 200) / 200 * 1000);
        Assert.Equal(expectedMs.ToString(), SimTest.Header(second, "retry-after-ms"));
        Assert.Equal(1, sim.GetStats().RateLimitedTokens);
    }

    [Fact]
    public async Task CostAboveCapacity_AdmittedFromFullBucketThenWaitsOffItsDebt()
    {
        var (options, time) = Limited(0, 600);
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        var cost = Prompt(Body100) + 100;
        using var first = await SimTest.PostAsync(client, "chat/completions", Body100);
        using var second = await SimTest.PostAsync(client, "chat/completions", Body100);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);

        // Capacity 10 at 10/s: level 10 − cost must climb back to 10 (full) before the next oversized request.
        Assert.Equal((cost * 100).ToString(), SimTest.Header(second, "retry-after-ms"));
        time.Advance(TimeSpan.FromMilliseconds(cost * 100));
        using var third = await SimTest.PostAsync(client, "chat/completions", Body100);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
    }

    [Fact]
    public async Task Limits_ArePerApiKey()
    {
        var (options, _) = Limited(60, 0);
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var a1 = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat, key: "key-a");
        using var b1 = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat, key: "key-b");
        using var a2 = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat, key: "key-a");
        Assert.Equal(HttpStatusCode.OK, a1.StatusCode);
        Assert.Equal(HttpStatusCode.OK, b1.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, a2.StatusCode);
    }

    [Fact]
    public async Task Azure_WindowFull_429AzureBodyAndHeaders_ThenNextWindowAdmits()
    {
        var (options, time) = Limited(60, 0, azure: true);
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        for (var i = 0; i < 10; i++)
        {
            using var ok = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal((9 - i).ToString(), SimTest.Header(ok, "x-ratelimit-remaining-requests"));
        }

        time.Advance(TimeSpan.FromSeconds(4));
        using var limited = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("6", SimTest.Header(limited, "retry-after"));
        Assert.Equal("6000", SimTest.Header(limited, "retry-after-ms"));
        Assert.Equal("6000", SimTest.Header(limited, "x-ms-retry-after-ms"));
        Assert.Equal("", SimTest.Header(limited, "x-ratelimit-limit-requests"));
        var error = (await SimTest.JsonAsync(limited)).GetProperty("error");
        Assert.Equal("429", error.GetProperty("code").GetString());
        Assert.Contains("Please retry after 6 seconds", error.GetProperty("message").GetString());

        time.Advance(TimeSpan.FromSeconds(6));
        using var next = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task NoLimits_NoRateLimitHeaders()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        Assert.Equal("", SimTest.Header(response, "x-ratelimit-limit-requests"));
    }
}

using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using LlmBatch.Endpoints;
using LlmBatch.Output;
using LlmBatch.Tests.TestSupport;
using static LlmBatch.Tests.TestSupport.EngineRuns;

namespace LlmBatch.Tests.Endpoints;

/// <summary>An engine over several endpoints: where attempts go, what a failing endpoint costs its items, what results say.</summary>
public class EndpointRoutingTests
{
    private static readonly HttpRequestException s_refused =
        new(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused));

    private static IBatchEngine Engine(IEnumerable<BatchEndpoint> endpoints, Action<BatchOptions>? configure = null)
    {
        var options = new BatchOptions { RetryBaseDelay = TimeSpan.Zero, RetryMaxDelay = TimeSpan.Zero };
        configure?.Invoke(options);
        return new BatchEngineBuilder(endpoints).WithOptions(options).Build();
    }

    private static void AssertOneSuccessPerItem(List<BatchResult> results, int count)
    {
        Assert.Equal(count, results.Count);
        Assert.Equal(count, results.Select(r => r.CustomId).Distinct().Count());
        Assert.All(results, r => Assert.True(r.IsSuccess, r.Error?.Message));
    }

    [Fact]
    public async Task RunAsync_OneEndpointRefusesConnections_EveryItemAnsweredByTheOtherWithoutSpendingAnAttempt()
    {
        var down = new ScriptedHandler(ScriptedHandler.Throw(s_refused));
        var up = new ScriptedHandler(ScriptedHandler.Status(200));
        using var engine = Engine([new BatchEndpoint("down", down), new BatchEndpoint("up", up)]);

        var results = await Collect(engine.RunAsync(Requests(300), TestContext.Current.CancellationToken));

        AssertOneSuccessPerItem(results, 300);
        Assert.All(results, r =>
        {
            Assert.Equal("up", r.Stats.Endpoint);
            Assert.Equal(1, r.Stats.Attempts);
        });

        // Out at its first refusal: only the attempts already on the wire (its first window of 16) reached it.
        Assert.InRange(down.Calls, 1, 20);
        var progress = engine.GetProgress().Endpoints;
        Assert.Equal(["down", "up"], progress.Select(e => e.Name));
        Assert.Equal(EndpointState.Out, progress[0].State);
        Assert.Equal("unreachable", progress[0].LastError);
        Assert.Equal(300, progress[1].Succeeded);
    }

    [Fact]
    public async Task RunAsync_OneEndpointAlwaysAnswers500_ItemsCompleteOnTheOthersWithinTheUsualAttempts()
    {
        var broken = new ScriptedHandler(ScriptedHandler.Status(500));
        var a = new ScriptedHandler(ScriptedHandler.Status(200));
        var b = new ScriptedHandler(ScriptedHandler.Status(200));
        using var engine = Engine([new BatchEndpoint("broken", broken), new BatchEndpoint("a", a), new BatchEndpoint("b", b)]);

        var results = await Collect(engine.RunAsync(Requests(300), TestContext.Current.CancellationToken));

        AssertOneSuccessPerItem(results, 300);
        Assert.All(results, r => Assert.NotEqual("broken", r.Stats.Endpoint));

        // A retry avoids the endpoint its attempt failed at: no item spends more than one attempt there.
        Assert.All(results, r => Assert.InRange(r.Stats.Attempts, 1, 2));
        Assert.InRange(broken.Calls, 1, 20);
        Assert.Equal(EndpointState.Out, engine.GetProgress().Endpoints[0].State);
    }

    [Fact]
    public async Task RunAsync_EndpointFailsMidRun_TheRestCompleteOnTheOtherWithinTheUsualAttempts()
    {
        var calls = 0;
        var dying = new ScriptedHandler(async (call, ct) =>
            Interlocked.Increment(ref calls) <= 50 ? await ScriptedHandler.Status(200)(call, ct) : await ScriptedHandler.Status(502)(call, ct));
        var up = new ScriptedHandler(ScriptedHandler.Status(200));
        using var engine = Engine([new BatchEndpoint("dying", dying), new BatchEndpoint("up", up)]);

        var results = await Collect(engine.RunAsync(Requests(400), TestContext.Current.CancellationToken));

        AssertOneSuccessPerItem(results, 400);
        Assert.InRange(results.Count(r => r.Stats.Endpoint == "dying"), 1, 50);
        Assert.All(results, r => Assert.InRange(r.Stats.Attempts, 1, 2));
        Assert.InRange(dying.Calls, 51, 50 + 20);
    }

    [Fact]
    public async Task RunAsync_OneEndpointRefusesTheKey_RunGoesOnOnTheOther()
    {
        var refused = new ScriptedHandler(ScriptedHandler.Status(401, """{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"""));
        var up = new ScriptedHandler(ScriptedHandler.Status(200));
        using var engine = Engine([new BatchEndpoint("bad-key", refused), new BatchEndpoint("up", up)]);

        var results = await Collect(engine.RunAsync(Requests(100), TestContext.Current.CancellationToken));

        AssertOneSuccessPerItem(results, 100);
        Assert.All(results, r => Assert.Equal(1, r.Stats.Attempts));
        Assert.Equal("HTTP 401", engine.GetProgress().Endpoints[0].LastError);
    }

    [Fact]
    public async Task RunAsync_EveryEndpointUnreachable_RunStopsAsASingleEndpointsWould()
    {
        using var engine = Engine(
            [new BatchEndpoint("a", new ScriptedHandler(ScriptedHandler.Throw(s_refused))), new BatchEndpoint("b", new ScriptedHandler(ScriptedHandler.Throw(s_refused)))],
            o => o.MaxAttempts = 2);

        await Assert.ThrowsAsync<BatchEndpointUnreachableException>(() => Collect(engine.RunAsync(Requests(20), TestContext.Current.CancellationToken)));
    }

    [Fact]
    public async Task RunAsync_EndpointsWithRoomAtOnce_SplitInProportionToTheirWeights()
    {
        var heavy = new ScriptedHandler(ScriptedHandler.Status(200));
        var light = new ScriptedHandler(ScriptedHandler.Status(200));
        using var engine = Engine([new BatchEndpoint("heavy", heavy) { Weight = 3 }, new BatchEndpoint("light", light) { Weight = 1 }], o => o.MaxConcurrency = 1);

        var results = await Collect(engine.RunAsync(Requests(800), TestContext.Current.CancellationToken));

        AssertOneSuccessPerItem(results, 800);
        var share = results.Count(r => r.Stats.Endpoint == "heavy") / 800.0;
        Assert.InRange(share, 0.68, 0.82);
    }

    [Fact]
    public async Task RunAsync_EndpointWithItsOwnModel_BodyNamesThatModelAndLineNamesTheEndpoint()
    {
        string? sentModel = null;
        var azure = new ScriptedHandler(async (call, ct) =>
        {
            using var body = JsonDocument.Parse(call.Request.Body);
            sentModel = body.RootElement.GetProperty("model").GetString();
            Assert.Equal("Hello", body.RootElement.GetProperty("messages")[0].GetProperty("content").GetString());
            return await ScriptedHandler.Status(200)(call, ct);
        });
        using var engine = Engine([new BatchEndpoint("azure-east", azure) { Model = "my-gpt4o-mini-deployment" }]);

        var results = await Collect(engine.RunAsync(Requests(1), TestContext.Current.CancellationToken));

        Assert.Equal("my-gpt4o-mini-deployment", sentModel);
        Assert.Equal("azure-east", results[0].Stats.Endpoint);
        Assert.Equal("gpt-4o-mini", results[0].Stats.Model);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        ResultLineWriter.Write(buffer, results[0]);
        var line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.Contains("\"endpoint\":\"azure-east\"", line, StringComparison.Ordinal);
        Assert.Equal("azure-east", OutputLineParser.Parse(buffer.WrittenSpan.TrimEnd((byte)'\n'), out _, out _)!.Stats.Endpoint);
    }

    [Fact]
    public void Build_BadEndpoints_OneErrorListingEveryProblem()
    {
        var provider = new ScriptedHandler(ScriptedHandler.Status(200));
        var builder = new BatchEngineBuilder([
            new BatchEndpoint("a", provider) { Weight = 0 },
            new BatchEndpoint("a", provider) { RequestsPerMinute = -5 },
        ]).WithEndpointHealth(new EndpointHealthOptions { FailureThreshold = 0 });

        var error = Assert.Throws<BatchOptionsException>(builder.Build);

        Assert.Equal(4, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.Contains("Endpoint 0 (a): Weight", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("Endpoint 1 (a): the name is used", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("Endpoint 1 (a): RequestsPerMinute", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("FailureThreshold", StringComparison.Ordinal));
    }
}

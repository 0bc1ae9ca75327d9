using System.Text;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Providers;
using LlmBatch.Tests.TestSupport;

namespace LlmBatch.Tests.Packing;

/// <summary>Packing through the whole engine: requests on the wire, one line per item, failures of a whole pack.</summary>
public class PackedEngineTests
{
    /// <summary>
    /// Requests, each ready at once like a file's lines: a pack waits up to 20 ms (real time) for a source's next item, and
    /// a source that yielded first let a loaded CI machine miss that and send packs of 3 and 1 where the test counts 4.
    /// </summary>
    private static IAsyncEnumerable<BatchRequest> Embeddings(int count) =>
        Enumerable.Range(0, count)
            .Select(i => BatchRequest.Create($"e{i}", "/v1/embeddings", $$"""{"model":"text-embedding-3-small","input":"text number {{i}}"}"""))
            .ToAsyncEnumerable();

    /// <summary>An embeddings server that answers each input with a vector naming it: [n] for "text number n".</summary>
    private static Func<BatchCall, CancellationToken, ValueTask<BatchResponse>> Echo(List<int> sizes, Func<string[], int>? status = null) => (call, _) =>
    {
        using var doc = JsonDocument.Parse(call.Request.Body);
        var inputs = doc.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetString()!).ToArray();
        lock (sizes)
        {
            sizes.Add(inputs.Length);
        }

        var code = status?.Invoke(inputs) ?? 200;
        if (code != 200)
        {
            return ValueTask.FromResult(new BatchResponse { StatusCode = code, Body = Encoding.UTF8.GetBytes("""{"error":{"message":"an input is too long","type":"invalid_request_error"}}""") });
        }

        var data = string.Join(',', inputs.Select((text, i) => $$$"""{"object":"embedding","index":{{{i}}},"embedding":[{{{text.Split(' ')[^1]}}}]}"""));
        var body = $$$"""{"object":"list","data":[{{{data}}}],"model":"text-embedding-3-small","usage":{"prompt_tokens":{{{inputs.Length * 3}}},"total_tokens":{{{inputs.Length * 3}}}}}""";
        return ValueTask.FromResult(new BatchResponse { StatusCode = 200, Body = Encoding.UTF8.GetBytes(body) });
    };

    private static async Task<List<BatchResult>> Run(IBatchHandler provider, int count, int? pack)
    {
        var engine = new BatchEngineBuilder(provider).WithOptions(new BatchOptions { PackSize = pack, RetryBaseDelay = TimeSpan.Zero, RetryMaxDelay = TimeSpan.Zero }).Build();
        var results = new List<BatchResult>();
        await foreach (var r in engine.RunAsync(Embeddings(count), TestContext.Current.CancellationToken))
        {
            results.Add(r);
        }

        return results;
    }

    private static double Vector(BatchResult r)
    {
        using var doc = JsonDocument.Parse(r.ResponseBody);
        return Assert.Single(doc.RootElement.GetProperty("data").EnumerateArray()).GetProperty("embedding")[0].GetDouble();
    }

    [Fact]
    public async Task RunAsync_TenInputsPackOfFour_ThreeRequestsAndEachItemItsOwnVector()
    {
        var sizes = new List<int>();
        var results = await Run(new ScriptedHandler(Echo(sizes)), 10, pack: 4);

        Assert.Equal(10, sizes.Sum());
        Assert.All(sizes, s => Assert.InRange(s, 1, 4));
        Assert.Equal(10, results.Count);
        Assert.All(results, r =>
        {
            Assert.True(r.IsSuccess);
            Assert.Equal(int.Parse(r.CustomId[1..], System.Globalization.CultureInfo.InvariantCulture), Vector(r));
            Assert.Equal(3, r.Stats.PromptTokens);
            Assert.True(r.Stats.UsageReported);
        });
        Assert.Equal(sizes.Count, results.Count(r => r.Stats.CountsAttempts));
    }

    [Fact]
    public async Task RunAsync_PackOfOne_SentAlone()
    {
        var sizes = new List<int>();
        var provider = new ScriptedHandler((call, ct) =>
        {
            // Alone, the body keeps its single string input.
            using var doc = JsonDocument.Parse(call.Request.Body);
            Assert.Equal(JsonValueKind.String, doc.RootElement.GetProperty("input").ValueKind);
            lock (sizes)
            {
                sizes.Add(1);
            }

            return ValueTask.FromResult(new BatchResponse { StatusCode = 200, Body = """{"object":"list","data":[{"index":0,"embedding":[1]}]}"""u8.ToArray() });
        });
        var results = await Run(provider, 5, pack: 1);
        Assert.Equal(5, sizes.Count);
        Assert.All(results, r => Assert.Equal(0, r.Stats.PackSize));
    }

    [Fact]
    public async Task RunAsync_PackRefusedAsAWholeFor400_SplitUntilOnlyTheBadInputFails()
    {
        var sizes = new List<int>();
        var results = await Run(new ScriptedHandler(Echo(sizes, inputs => inputs.Contains("text number 5") ? 400 : 200)), 8, pack: 8);

        Assert.Equal(8, results.Count);
        var failed = Assert.Single(results, r => !r.IsSuccess);
        Assert.Equal("e5", failed.CustomId);
        Assert.Equal("http_400", failed.Error!.Code);
        Assert.All(results.Where(r => r.IsSuccess), r => Assert.Equal(int.Parse(r.CustomId[1..], System.Globalization.CultureInfo.InvariantCulture), Vector(r)));

        // 8; its halves; the failing half's halves; and so on down to the bad input: a few requests, not one per input.
        Assert.Equal([8, 4, 4, 2, 1, 1, 2], sizes);
    }

    [Fact]
    public async Task RunAsync_PackFailsForGood_EveryMemberGetsTheFailureLine()
    {
        var sizes = new List<int>();
        var engine = new BatchEngineBuilder(new ScriptedHandler(Echo(sizes, _ => 500)))
            .WithOptions(new BatchOptions { PackSize = 4, MaxAttempts = 2, RetryBaseDelay = TimeSpan.Zero, RetryMaxDelay = TimeSpan.Zero, StopWhenUnreachable = false })
            .Build();
        var results = new List<BatchResult>();
        await foreach (var r in engine.RunAsync(Embeddings(4), TestContext.Current.CancellationToken))
        {
            results.Add(r);
        }

        Assert.Equal(4, results.Count);
        Assert.All(results, r =>
        {
            Assert.Equal("http_500", r.Error!.Code);
            Assert.Equal(2, r.Stats.Attempts);
            Assert.Equal(4, r.Stats.PackSize);
        });
        Assert.Equal([4, 4], sizes);
    }
}

using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Tests.TestSupport;

namespace LlmBatch.Tests.Scheduling;

/// <summary>The start of a run with no limit flags: nothing is known of the server yet, and nothing may block on one request.</summary>
public class BatchEngineStartTests
{
    [Fact]
    public async Task RunAsync_FirstRequestHangsWithNoLimitFlags_OthersAnsweredMeanwhile()
    {
        // Issue 14: a hung one-request probe once held all dispatch up to the 10-minute timeout ceiling (0/40 after
        // 45 s). The first request hangs here for as long as the run lasts; the other 39 must not wait for it.
        var handler = new ScriptedHandler(ScriptedHandler.Hang(), ScriptedHandler.Status(200));
        var engine = new BatchEngineBuilder(handler)
            .WithOptions(new BatchOptions { RetryBaseDelay = TimeSpan.Zero, RetryMaxDelay = TimeSpan.Zero })
            .Build();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var answered = new List<BatchResult>();

        try
        {
            await foreach (var result in engine.RunAsync(Requests(40), stop.Token))
            {
                answered.Add(result);
                if (answered.Count == 39)
                {
                    await stop.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        Assert.Equal(39, answered.Count(r => r.IsSuccess));
        Assert.DoesNotContain(answered, r => r.CustomId == "id0" && r.IsSuccess);
    }

    private static async IAsyncEnumerable<BatchRequest> Requests(int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return ScriptedHandler.Chat("id" + i);
            await Task.Yield();
        }
    }
}

using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch.Tests.TestSupport;

/// <summary>Requests to feed an engine and its results read into a list, for tests of whole runs.</summary>
internal static class EngineRuns
{
    /// <summary>Chat requests id0, id1, … yielded one by one (with a yield between, as a file read would).</summary>
    public static async IAsyncEnumerable<BatchRequest> Requests(int count, Action<int>? onPulled = null)
    {
        for (var i = 0; i < count; i++)
        {
            onPulled?.Invoke(i);
            yield return ScriptedHandler.Chat("id" + i);
            await Task.Yield();
        }
    }

    /// <summary>Every result of a run, in completion order.</summary>
    public static async Task<List<BatchResult>> Collect(IAsyncEnumerable<BatchResult> results)
    {
        var list = new List<BatchResult>();
        await foreach (var r in results)
        {
            list.Add(r);
        }

        return list;
    }
}

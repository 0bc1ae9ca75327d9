using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch;

/// <summary>
/// An engine that can hand a run's results straight to a consumer's sink (the output writer's own queue) instead of
/// its results channel, so that on the file path a result crosses one channel and one loop, not two.
/// </summary>
internal interface IResultSinkEngine
{
    /// <summary>Starts a run whose results go to <paramref name="sink"/> (or to <see cref="IBatchRun.Results"/> when null).</summary>
    IBatchRun Start(IAsyncEnumerable<BatchRequest> requests, Func<BatchResult, ValueTask>? sink, CancellationToken cancellationToken);
}

using LlmBatch.BatchApi;

namespace LlmBatch.Tests.BatchApi;

public class BatchStatusMapTests
{
    [Theory]
    [InlineData("validating", BatchApiStatus.Validating, false, "Wait")]
    [InlineData("Validating", BatchApiStatus.Validating, false, "Wait")]
    [InlineData("in_progress", BatchApiStatus.InProgress, false, "Wait")]
    [InlineData("InProgress", BatchApiStatus.InProgress, false, "Wait")]
    [InlineData("finalizing", BatchApiStatus.Finalizing, false, "Wait")]
    [InlineData("cancelling", BatchApiStatus.Cancelling, false, "Wait")]
    [InlineData("canceling", BatchApiStatus.Cancelling, false, "Wait")]
    [InlineData("completed", BatchApiStatus.Completed, true, "Merge")]
    [InlineData("Completed", BatchApiStatus.Completed, true, "Merge")]
    [InlineData("expired", BatchApiStatus.Expired, true, "Merge")]
    [InlineData("cancelled", BatchApiStatus.Cancelled, true, "Merge")]
    [InlineData("canceled", BatchApiStatus.Cancelled, true, "Merge")]
    [InlineData("failed", BatchApiStatus.Failed, true, "Recreate")]
    [InlineData("paused_by_the_provider", BatchApiStatus.Unknown, false, "Wait")]
    [InlineData("", BatchApiStatus.Unknown, false, "Wait")]
    public void ParseAndStep_EveryStatus_MapsToWhatTheJobDoes(string text, BatchApiStatus status, bool terminal, string step)
    {
        var parsed = BatchStatusMap.Parse(text);

        Assert.Equal(status, parsed);
        Assert.Equal(terminal, BatchStatusMap.IsTerminal(parsed));
        Assert.Equal(step, BatchStatusMap.Step(new BatchApiBatch { Id = "batch_1", Status = parsed }).ToString());
    }

    [Fact]
    public void Step_FailedForTheEnqueuedTokenLimit_WaitForRoom()
    {
        var batch = new BatchApiBatch
        {
            Id = "batch_1",
            Status = BatchApiStatus.Failed,
            Errors = [new BatchApiError("token_limit_exceeded", "Enqueued token limit reached for gpt-4o-mini", null)],
        };

        Assert.Equal(BatchStep.WaitForRoom, BatchStatusMap.Step(batch));
    }

    [Theory]
    [InlineData(BatchApiStatus.InProgress, "in_progress")]
    [InlineData(BatchApiStatus.Cancelled, "cancelled")]
    [InlineData(BatchApiStatus.Validating, "validating")]
    public void Wire_OpenAiSpelling(BatchApiStatus status, string wire) => Assert.Equal(wire, BatchStatusMap.Wire(status));
}

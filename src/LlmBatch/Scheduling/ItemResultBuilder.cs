using LlmBatch.Output;
using LlmBatch.Packing;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch;

/// <summary>
/// Turns how an item's call ended into its <see cref="BatchResult"/>: a response (its shape checked against the
/// endpoint from the one parse in <see cref="BatchResponse.Facts"/>), a failure, or one member of a packed request.
/// Apart from the engine so that the dispatcher reads as dispatching; the prompt is counted here only when no budget
/// counted it before, since most runs without a token limit never need the count until the line is written.
/// </summary>
internal sealed class ItemResultBuilder(TimeProvider time, TokenCounter tokens)
{
    public BatchResult Member(BatchCall call, in PackMember member, int index, int size, BatchResponse? response, ReadOnlyMemory<byte> body, BatchError? error, int promptTokens, bool reported)
    {
        var request = member.Request;
        return new BatchResult
        {
            CustomId = request.CustomId,
            Id = CustomIdHash.ToResultId(request.CustomId),
            StatusCode = response?.StatusCode ?? 0,
            RequestId = response?.RequestId,
            ResponseBody = body,
            Error = error,
            LineNumber = request.LineNumber,
            Stats = Stats(call, promptTokens, 0, reported, response, 0) with { Model = request.Model, PackSize = size, PackIndex = index },
        };
    }

    public BatchResult FromResponse(BatchCall call, BatchResponse response)
    {
        var body = response.Body;
        var facts = response.Facts;
        var reported = facts.UsageReported;
        BatchError? error = null;
        if (response.StatusCode is >= 200 and < 300)
        {
            if (!facts.HasShapeOf(call.Request.Endpoint))
            {
                error = new BatchError("invalid_response", $"HTTP {response.StatusCode} with a body that is not a valid {call.Request.Url} response.");
            }
        }
        else
        {
            error = new BatchError("http_" + response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture), ErrorMessageReader.Read(body.Span, response.StatusCode));
        }

        return new BatchResult
        {
            CustomId = call.Request.CustomId,
            Id = CustomIdHash.ToResultId(call.Request.CustomId),
            StatusCode = response.StatusCode,
            RequestId = response.RequestId,
            ResponseBody = body,
            BodyIsCheckedJson = facts.IsComplete,
            Error = error,
            LineNumber = call.Request.LineNumber,
            Stats = Stats(call, reported ? facts.PromptTokens : PromptTokens(call), facts.CompletionTokens, reported, response, facts.CachedPromptTokens),
        };
    }

    public BatchResult Failure(BatchCall call, string code, string message) => new()
    {
        CustomId = call.Request.CustomId,
        Id = CustomIdHash.ToResultId(call.Request.CustomId),
        StatusCode = 0,
        Error = new BatchError(code, message),
        LineNumber = call.Request.LineNumber,
        Stats = Stats(call, PromptTokens(call), 0, false, null, 0),
    };

    // The local count, made now if no budget needed it earlier.
    public int PromptTokens(BatchCall call) =>
        call.EstimatedPromptTokens >= 0 ? call.EstimatedPromptTokens : tokens.CountPromptTokens(call.Request);

    private BatchItemStats Stats(BatchCall call, int prompt, int completion, bool reported, BatchResponse? response, int cachedPrompt) => new()
    {
        Attempts = call.Attempt,
        Statuses = call.Statuses,
        StartedAt = call.StartedAt,
        FinishedAt = time.GetUtcNow(),
        LatencyMs = call.LastAttemptDuration.TotalMilliseconds,
        LimiterWaitMs = call.LimiterWait.TotalMilliseconds,
        PromptTokens = prompt,
        CompletionTokens = completion,
        UsageReported = reported,
        Model = call.Request.Model,
        Cached = response?.FromCache == true,
        CachedPromptTokens = cachedPrompt,
        SharedWith = response?.SharedWith,
        Endpoint = call.Endpoint,
    };
}

using System.Diagnostics;
using System.Globalization;
using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.Telemetry;

/// <summary>
/// Middleware just above the provider: one <see cref="Activity"/> per attempt (GenAI client span) and the per-attempt
/// metrics (duration, status, 429s, token usage). Costs a few branches per attempt when nobody listens: the call goes straight to the inner handler.
/// </summary>
internal sealed class TelemetryHandler : DelegatingBatchHandler
{
    private readonly TimeProvider _time;

    public TelemetryHandler(IBatchHandler inner, TimeProvider timeProvider)
        : base(inner)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _time = timeProvider;
    }

    public override ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);

        // Nobody listens (no OpenTelemetry, no dotnet-counters): the attempt goes straight down, with no state machine
        // of this layer, no span name built and no tag boxed. An attempt under way when a listener arrives goes unrecorded.
        return Observed ? SendObservedAsync(item, cancellationToken) : InnerHandler.SendAsync(item, cancellationToken);
    }

    private static bool Observed =>
        LlmBatchTelemetry.ActivitySource.HasListeners()
        || LlmBatchTelemetry.OperationDuration.Enabled
        || LlmBatchTelemetry.Requests.Enabled
        || LlmBatchTelemetry.RateLimited.Enabled
        || LlmBatchTelemetry.TokenUsage.Enabled;

    private async ValueTask<BatchResponse> SendObservedAsync(BatchCall item, CancellationToken cancellationToken)
    {
        var request = item.Request;
        var operation = OperationName(request.Endpoint);
        using var activity = LlmBatchTelemetry.ActivitySource.StartActivity(operation + " " + request.Model, ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag(LlmBatchTelemetryNames.OperationNameTag, operation);
            activity.SetTag(LlmBatchTelemetryNames.RequestModelTag, request.Model);
            activity.SetTag("llmbatch.custom_id", request.CustomId);
            activity.SetTag("llmbatch.attempt", item.Attempt);
            if (item.Endpoint is { } endpoint)
            {
                activity.SetTag(LlmBatchTelemetryNames.EndpointTag, endpoint);
            }
        }

        var started = _time.GetTimestamp();
        BatchResponse response;
        try
        {
            response = await InnerHandler.SendAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var errorType = ex is OperationCanceledException && !cancellationToken.IsCancellationRequested
                ? "timeout"
                : ex.GetType().FullName ?? ex.GetType().Name;
            RecordAttempt(operation, request.Model, item.Endpoint, 0, errorType, _time.GetElapsedTime(started));
            if (activity is not null)
            {
                activity.SetTag(LlmBatchTelemetryNames.ErrorTypeTag, errorType);
                activity.SetStatus(ActivityStatusCode.Error, ex.Message);
            }

            throw;
        }

        var status = response.StatusCode;
        var error = status is >= 200 and < 300 ? null : status.ToString(CultureInfo.InvariantCulture);
        RecordAttempt(operation, request.Model, item.Endpoint, status, error, _time.GetElapsedTime(started));
        if (activity is not null)
        {
            activity.SetTag(LlmBatchTelemetryNames.StatusCodeTag, status);
            if (response.RequestId is not null)
            {
                activity.SetTag("gen_ai.response.id", response.RequestId);
            }

            if (error is not null)
            {
                activity.SetTag(LlmBatchTelemetryNames.ErrorTypeTag, error);
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }

        if (error is null && (activity is not null || LlmBatchTelemetry.TokenUsage.Enabled)
            && response.Facts is { UsageReported: true } usage)
        {
            var input = usage.PromptTokens;
            var output = usage.CompletionTokens;
            activity?.SetTag("gen_ai.usage.input_tokens", input);
            activity?.SetTag("gen_ai.usage.output_tokens", output);
            if (LlmBatchTelemetry.TokenUsage.Enabled)
            {
                var op = new KeyValuePair<string, object?>(LlmBatchTelemetryNames.OperationNameTag, operation);
                var model = new KeyValuePair<string, object?>(LlmBatchTelemetryNames.RequestModelTag, request.Model);
                LlmBatchTelemetry.TokenUsage.Record(input, op, model, new KeyValuePair<string, object?>(LlmBatchTelemetryNames.TokenTypeTag, "input"));
                LlmBatchTelemetry.TokenUsage.Record(output, op, model, new KeyValuePair<string, object?>(LlmBatchTelemetryNames.TokenTypeTag, "output"));
            }
        }

        return response;
    }

    private static void RecordAttempt(string operation, string model, string? endpoint, int status, string? errorType, TimeSpan duration)
    {
        var op = new KeyValuePair<string, object?>(LlmBatchTelemetryNames.OperationNameTag, operation);
        var modelTag = new KeyValuePair<string, object?>(LlmBatchTelemetryNames.RequestModelTag, model);
        var statusTag = new KeyValuePair<string, object?>(LlmBatchTelemetryNames.StatusCodeTag, status);
        if (LlmBatchTelemetry.OperationDuration.Enabled)
        {
            if (errorType is null)
            {
                LlmBatchTelemetry.OperationDuration.Record(duration.TotalSeconds, op, modelTag, statusTag);
            }
            else
            {
                LlmBatchTelemetry.OperationDuration.Record(
                    duration.TotalSeconds, op, modelTag, statusTag, new KeyValuePair<string, object?>(LlmBatchTelemetryNames.ErrorTypeTag, errorType));
            }
        }

        // With several endpoints the counts are per endpoint too; with one, the tag is left out rather than empty.
        var endpointTag = new KeyValuePair<string, object?>(LlmBatchTelemetryNames.EndpointTag, endpoint);
        if (LlmBatchTelemetry.Requests.Enabled)
        {
            if (endpoint is null)
            {
                LlmBatchTelemetry.Requests.Add(1, modelTag, statusTag);
            }
            else
            {
                LlmBatchTelemetry.Requests.Add(1, modelTag, statusTag, endpointTag);
            }
        }

        if (status == 429 && LlmBatchTelemetry.RateLimited.Enabled)
        {
            if (endpoint is null)
            {
                LlmBatchTelemetry.RateLimited.Add(1, modelTag);
            }
            else
            {
                LlmBatchTelemetry.RateLimited.Add(1, modelTag, endpointTag);
            }
        }
    }

    private static string OperationName(BatchEndpointKind endpoint) => endpoint switch
    {
        BatchEndpointKind.Embeddings => "embeddings",
        BatchEndpointKind.Completions => "text_completion",
        _ => "chat",
    };
}

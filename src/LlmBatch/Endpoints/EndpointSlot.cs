using System.Buffers;
using System.Globalization;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch.Endpoints;

/// <summary>
/// One endpoint of an <see cref="EndpointPool"/>: its provider, its own admission (a <see cref="ResourceController"/>
/// over its own budget, so its limits are learned from its own headers), its health and its counts.
/// </summary>
internal sealed class EndpointSlot(BatchEndpoint endpoint, ResourceController controller, EndpointHealth health)
{
    private long _attempts;
    private long _succeeded;
    private long _failed;
    private long _rateLimited;
    private int _inFlight;
    private string? _lastError;

    public BatchEndpoint Endpoint { get; } = endpoint;

    public string Name => Endpoint.Name;

    public ResourceController Controller { get; } = controller;

    public EndpointHealth Health { get; } = health;

    /// <summary>Sends one attempt to this endpoint's provider, with its model when it names one.</summary>
    public ValueTask<BatchResponse> SendAsync(BatchCall call, CancellationToken cancellationToken)
    {
        if (Endpoint.Model is not { } model || model == call.Request.Model)
        {
            return Endpoint.Provider.SendAsync(call, cancellationToken);
        }

        // The provider reads only the request; the call's own state stays with the original.
        return Endpoint.Provider.SendAsync(new BatchCall(WithModel(call.Request, model)) { Run = call.Run, EstimatedPromptTokens = call.EstimatedPromptTokens, Attempt = call.Attempt, StartedAt = call.StartedAt }, cancellationToken);
    }

    public void AttemptStarted()
    {
        Interlocked.Increment(ref _attempts);
        Interlocked.Increment(ref _inFlight);
    }

    public void AttemptEnded(int status, EndpointHealth.Verdict verdict)
    {
        Interlocked.Decrement(ref _inFlight);
        if (status is >= 200 and < 300)
        {
            Interlocked.Increment(ref _succeeded);
        }
        else if (status == 429)
        {
            Interlocked.Increment(ref _rateLimited);
        }

        if (verdict != EndpointHealth.Verdict.Fine)
        {
            Interlocked.Increment(ref _failed);
            Volatile.Write(ref _lastError, "HTTP " + status.ToString(CultureInfo.InvariantCulture));
        }
    }

    public void AttemptFailed(Exception error, EndpointHealth.Verdict verdict)
    {
        Interlocked.Decrement(ref _inFlight);
        if (verdict != EndpointHealth.Verdict.Fine)
        {
            Interlocked.Increment(ref _failed);

            // The exception's type and the kind of failure, not its message: a message may quote a URL and its query.
            Volatile.Write(ref _lastError, Resilience.RetryClassifier.IsUnreachable(error) ? "unreachable" : Resilience.RetryClassifier.ErrorCode(error));
        }
    }

    public EndpointProgress Progress() => new()
    {
        Name = Name,
        State = Health.State,
        Attempts = Interlocked.Read(ref _attempts),
        Succeeded = Interlocked.Read(ref _succeeded),
        Failed = Interlocked.Read(ref _failed),
        RateLimited = Interlocked.Read(ref _rateLimited),
        InFlight = Math.Max(0, Volatile.Read(ref _inFlight)),
        TimesOut = Health.TimesOut,
        LastError = Volatile.Read(ref _lastError),
        RequestsPerMinuteLimit = Controller.RequestsPerMinuteLimit,
        TokensPerMinuteLimit = Controller.TokensPerMinuteLimit,
    };

    /// <summary>The request with its body's top-level <c>model</c> replaced (added when absent).</summary>
    internal static BatchRequest WithModel(BatchRequest request, string model)
    {
        var buffer = new ArrayBufferWriter<byte>(request.Body.Length + model.Length + 16);
        using (var doc = JsonDocument.Parse(request.Body))
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, model);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!property.NameEquals("model"u8))
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return new BatchRequest(request.CustomId, request.Endpoint, request.Url, buffer.WrittenMemory, model, request.MaxOutputTokens, request.LineNumber);
    }
}

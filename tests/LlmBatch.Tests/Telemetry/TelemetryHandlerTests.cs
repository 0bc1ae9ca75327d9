using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Providers;
using LlmBatch.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.Telemetry;

public sealed class TelemetryHandlerTests : IDisposable
{
    // Each test uses its own model so that measurements from tests running in parallel can be told apart.
    private readonly string _model = "model-" + Guid.NewGuid().ToString("N");
    private readonly ConcurrentQueue<(string Name, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly MeterListener _listener = new();

    public TelemetryHandlerTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == LlmBatchTelemetryNames.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Capture(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Capture(i, v, tags));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task SendAsync_Success_RecordsDurationStatusAndTokens()
    {
        var time = new FakeTimeProvider();
        var inner = new FakeHandler(_ =>
        {
            time.Advance(TimeSpan.FromMilliseconds(1500));
            return new BatchResponse
            {
                StatusCode = 200,
                Body = Encoding.UTF8.GetBytes("""{"id":"x","choices":[{"message":{"content":"{\"usage\":1}"}}],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}"""),
            };
        });
        var handler = new TelemetryHandler(inner, time);

        var response = await handler.SendAsync(Call(), TestContext.Current.CancellationToken);

        Assert.Equal(200, response.StatusCode);
        var duration = Assert.Single(Mine(LlmBatchTelemetryNames.OperationDuration));
        Assert.Equal(1.5, duration.Value, 9);
        Assert.Equal("chat", duration.Tags[LlmBatchTelemetryNames.OperationNameTag]);
        Assert.Equal(200, duration.Tags[LlmBatchTelemetryNames.StatusCodeTag]);
        Assert.False(duration.Tags.ContainsKey(LlmBatchTelemetryNames.ErrorTypeTag));
        var request = Assert.Single(Mine(LlmBatchTelemetryNames.Requests));
        Assert.Equal(1, request.Value);
        Assert.Empty(Mine(LlmBatchTelemetryNames.RateLimited));
        var tokens = Mine(LlmBatchTelemetryNames.TokenUsage).ToDictionary(m => (string)m.Tags[LlmBatchTelemetryNames.TokenTypeTag]!, m => m.Value);
        Assert.Equal(9, tokens["input"]);
        Assert.Equal(12, tokens["output"]);
    }

    [Fact]
    public async Task SendAsync_CallRoutedToAnEndpoint_RequestsAndRateLimitedCarryItsName()
    {
        var handler = new TelemetryHandler(new FakeHandler(_ => new BatchResponse { StatusCode = 429 }), new FakeTimeProvider());
        var call = Call();
        call.Endpoint = "east";

        await handler.SendAsync(call, TestContext.Current.CancellationToken);
        await handler.SendAsync(Call(), TestContext.Current.CancellationToken);

        var requests = Mine(LlmBatchTelemetryNames.Requests);
        Assert.Equal(2, requests.Count);
        Assert.Single(requests, m => (m.Tags.GetValueOrDefault(LlmBatchTelemetryNames.EndpointTag) as string) == "east");
        Assert.Single(requests, m => !m.Tags.ContainsKey(LlmBatchTelemetryNames.EndpointTag));
        Assert.Single(Mine(LlmBatchTelemetryNames.RateLimited), m => (m.Tags.GetValueOrDefault(LlmBatchTelemetryNames.EndpointTag) as string) == "east");
    }

    [Fact]
    public async Task SendAsync_429_CountsRateLimitedAndErrorType()
    {
        var handler = new TelemetryHandler(new FakeHandler(_ => new BatchResponse { StatusCode = 429 }), new FakeTimeProvider());

        await handler.SendAsync(Call(), TestContext.Current.CancellationToken);
        await handler.SendAsync(Call(), TestContext.Current.CancellationToken);

        Assert.Equal(2, Mine(LlmBatchTelemetryNames.RateLimited).Sum(m => m.Value));
        Assert.All(Mine(LlmBatchTelemetryNames.OperationDuration), m => Assert.Equal("429", m.Tags[LlmBatchTelemetryNames.ErrorTypeTag]));
        Assert.Empty(Mine(LlmBatchTelemetryNames.TokenUsage));
    }

    [Fact]
    public async Task SendAsync_TransportFailure_RecordsStatusZeroAndRethrows()
    {
        var handler = new TelemetryHandler(new FakeHandler(_ => throw new HttpRequestException("refused")), new FakeTimeProvider());

        await Assert.ThrowsAsync<HttpRequestException>(() => handler.SendAsync(Call(), TestContext.Current.CancellationToken).AsTask());

        var request = Assert.Single(Mine(LlmBatchTelemetryNames.Requests));
        Assert.Equal(0, request.Tags[LlmBatchTelemetryNames.StatusCodeTag]);
        var duration = Assert.Single(Mine(LlmBatchTelemetryNames.OperationDuration));
        Assert.Equal(typeof(HttpRequestException).FullName, duration.Tags[LlmBatchTelemetryNames.ErrorTypeTag]);
    }

    [Fact]
    public async Task SendAsync_WithActivityListener_EmitsClientSpanWithGenAiTags()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var activityListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == LlmBatchTelemetryNames.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(activityListener);
        var handler = new TelemetryHandler(
            new FakeHandler(_ => new BatchResponse { StatusCode = 200, Body = Encoding.UTF8.GetBytes("""{"usage":{"input_tokens":3,"output_tokens":4}}""") }),
            new FakeTimeProvider());

        await handler.SendAsync(Call(), TestContext.Current.CancellationToken);

        var span = Assert.Single(spans, s => (string?)s.GetTagItem(LlmBatchTelemetryNames.RequestModelTag) == _model);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal("chat " + _model, span.DisplayName);
        Assert.Equal(200, span.GetTagItem(LlmBatchTelemetryNames.StatusCodeTag));
        Assert.Equal(3, span.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(4, span.GetTagItem("gen_ai.usage.output_tokens"));
    }

    [Fact]
    public void RecordItemCompleted_FailureAfterRetries_CountsOutcomeRetriesAndWait()
    {
        LlmBatchTelemetry.RecordItemCompleted(new BatchResult
        {
            CustomId = "a",
            Id = "batch_req_a",
            StatusCode = 500,
            Error = new BatchError("http_500", "boom"),
            Stats = new BatchItemStats { Attempts = 3, Statuses = [429, 500, 500], LimiterWaitMs = 250, Model = _model },
        });

        var completed = Assert.Single(Mine(LlmBatchTelemetryNames.ItemsCompleted));
        Assert.Equal("failure", completed.Tags[LlmBatchTelemetryNames.OutcomeTag]);
        Assert.Equal("http_500", completed.Tags[LlmBatchTelemetryNames.ErrorTypeTag]);
        Assert.Equal(2, Assert.Single(Mine(LlmBatchTelemetryNames.Retries)).Value);
        Assert.Equal(0.25, Assert.Single(Mine(LlmBatchTelemetryNames.LimiterWaitDuration)).Value, 9);
    }

    [Fact]
    public void ObserveProgress_Registered_GaugesReadTheSource()
    {
        var progress = new BatchProgress { InFlight = 7, WaitingOnLimiter = 3, Completed = 42, RequestsPerMinuteLimit = 500, TokensPerMinuteLimit = null };
        using (LlmBatchTelemetry.ObserveProgress(() => progress))
        {
            _listener.RecordObservableInstruments();
        }

        var seen = _measurements.ToArray();
        Assert.Contains(seen, m => m.Name == LlmBatchTelemetryNames.InFlight && m.Value == 7);
        Assert.Contains(seen, m => m.Name == LlmBatchTelemetryNames.LimiterWaiting && m.Value == 3);
        Assert.Contains(seen, m => m.Name == LlmBatchTelemetryNames.ItemsDone && m.Value == 42);
        Assert.Contains(seen, m => m.Name == LlmBatchTelemetryNames.LimitRequestsPerMinute && m.Value == 500);
        Assert.DoesNotContain(seen, m => m.Name == LlmBatchTelemetryNames.LimitTokensPerMinute);
        Assert.Contains(seen, m => m.Name == LlmBatchTelemetryNames.MemoryBytes && m.Value > 0);

        // Once disposed, the gauges report nothing.
        _measurements.Clear();
        _listener.RecordObservableInstruments();
        Assert.DoesNotContain(_measurements, m => m.Name == LlmBatchTelemetryNames.InFlight);
    }

    private BatchCall Call() =>
        new(BatchRequest.Create("c1", "/v1/chat/completions", $$"""{"model":"{{_model}}","messages":[]}""")) { Attempt = 1 };

    private List<(string Name, double Value, Dictionary<string, object?> Tags)> Mine(string name) =>
        _measurements.Where(m => m.Name == name && (m.Tags.GetValueOrDefault(LlmBatchTelemetryNames.RequestModelTag) as string) == _model).ToList();

    private void Capture(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var dict = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            dict[tag.Key] = tag.Value;
        }

        _measurements.Enqueue((instrument.Name, value, dict));
    }

    private sealed class FakeHandler(Func<BatchCall, BatchResponse> respond) : IBatchHandler
    {
        public ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken) => ValueTask.FromResult(respond(item));
    }
}

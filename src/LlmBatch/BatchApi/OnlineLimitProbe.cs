using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.BatchApi;

/// <summary>
/// Learns the online limits the planner needs from one tiny request (a one-token answer, or one short embedding) to
/// the endpoint and model of the job: its <c>x-ratelimit-limit-requests</c> / <c>-tokens</c> headers, and its latency.
/// A server that sends no limit headers (vLLM, Ollama, Azure, which sends only <c>remaining</c>) is taken as unlimited.
/// The probe's latency is that of a one-token answer: longer answers take longer, so with no limits known the online
/// estimate is on the short side.
/// </summary>
internal static class OnlineLimitProbe
{
    /// <summary>Sends the probe and reads the limits.</summary>
    /// <param name="provider">Where online requests go.</param>
    /// <param name="sample">A request of the job: the probe uses its endpoint and model.</param>
    /// <param name="maxConcurrency">Requests in flight at most online.</param>
    /// <param name="timeProvider">The clock for the latency (default the system clock).</param>
    /// <param name="cancellationToken">Stops the probe.</param>
    /// <returns>The limits, with <see cref="OnlineLimits.Source"/> saying how they were found.</returns>
    public static async Task<OnlineLimits> ProbeAsync(IBatchHandler provider, BatchRequest sample, int maxConcurrency, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(sample);
        var time = timeProvider ?? TimeProvider.System;
        var probe = BatchRequest.Create("llmbatch-probe", sample.Url, Body(sample.Endpoint, sample.Model));
        var started = time.GetTimestamp();
        BatchResponse response;
        try
        {
            response = await provider.SendAsync(new BatchCall(probe) { Attempt = 1 }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or IOException or OperationCanceledException)
        {
            return new OnlineLimits { MaxConcurrency = maxConcurrency, Source = $"unknown: the probe request got no answer ({ex.Message}); no limit assumed" };
        }

        var headers = response.Headers;
        var found = headers.LimitRequests is not null || headers.LimitTokens is not null;
        return new OnlineLimits
        {
            RequestsPerMinute = headers.LimitRequests,
            TokensPerMinute = headers.LimitTokens,
            Latency = time.GetElapsedTime(started),
            MaxConcurrency = maxConcurrency,
            Source = found
                ? $"learned from the x-ratelimit-limit-* headers of one probe request (HTTP {response.StatusCode})"
                : $"no x-ratelimit-limit-* headers on a probe request (HTTP {response.StatusCode}): no limit assumed, {maxConcurrency} in flight at the probe's latency",
        };
    }

    private static byte[] Body(BatchEndpointKind kind, string model)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model", model);
            switch (kind)
            {
                case BatchEndpointKind.ChatCompletions:
                    w.WriteStartArray("messages");
                    w.WriteStartObject();
                    w.WriteString("role", "user");
                    w.WriteString("content", "ping");
                    w.WriteEndObject();
                    w.WriteEndArray();
                    w.WriteNumber("max_tokens", 1);
                    break;
                case BatchEndpointKind.Completions:
                    w.WriteString("prompt", "ping");
                    w.WriteNumber("max_tokens", 1);
                    break;
                case BatchEndpointKind.Responses:
                    w.WriteString("input", "ping");
                    w.WriteNumber("max_output_tokens", 16);
                    break;
                default:
                    w.WriteString("input", "ping");
                    break;
            }

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }
}

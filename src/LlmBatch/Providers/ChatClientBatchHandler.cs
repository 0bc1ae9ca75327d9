using LlmBatch.Input;
using Microsoft.Extensions.AI;

namespace LlmBatch.Providers;

/// <summary>
/// Answers <c>/v1/chat/completions</c> requests through an <see cref="IChatClient"/>: the body becomes messages and
/// options, and the answer comes back as an OpenAI <c>chat.completion</c> body, so everything above the provider
/// (usage accounting, output lines) works as it does over HTTP.
/// </summary>
internal sealed class ChatClientBatchHandler : IBatchHandler
{
    private readonly IChatClient _client;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the handler.</summary>
    /// <param name="client">The chat client.</param>
    /// <param name="timeProvider">The clock for <c>created</c> when the client reports no time.</param>
    public ChatClientBatchHandler(IChatClient client, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Leaves the client alone: it belongs to whoever made it (the container, in dependency injection).</summary>
    public void Dispose()
    {
    }

    /// <inheritdoc />
    public async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var request = item.Request;
        if (request.Endpoint != BatchEndpointKind.ChatCompletions)
        {
            return OpenAIErrorResponse.UnsupportedEndpoint(request, EndpointPaths.ChatCompletions);
        }

        List<ChatMessage> messages;
        ChatOptions options;
        try
        {
            (messages, options) = ChatRequestReader.Read(request.Body);
        }
        catch (ProviderRequestException ex)
        {
            return OpenAIErrorResponse.InvalidRequest(ex.Message, ex.Param);
        }

        ChatResponse response;
        try
        {
            response = await _client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && OpenAIErrorResponse.TryGetStatus(ex, out var status))
        {
            // A status is the server's answer, not a transport failure: report it as one so the retry layer treats
            // a 400 as permanent and a 429 or 503 as transient, exactly as over HTTP.
            return OpenAIErrorResponse.FromStatus(status, ex.Message);
        }

        return new BatchResponse
        {
            StatusCode = 200,
            Body = ChatCompletionWriter.Write(response, request.Model, _timeProvider.GetUtcNow()),
            RequestId = response.ResponseId,
        };
    }
}

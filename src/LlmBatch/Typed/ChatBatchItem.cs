using Microsoft.Extensions.AI;

namespace LlmBatch.Typed;

/// <summary>One chat request of a typed batch: what <see cref="IChatClient.GetResponseAsync"/> would take, plus an id.</summary>
/// <param name="Id">
/// The item's identifier, unique within the batch: it becomes the request's <c>custom_id</c>, so the output file
/// (the checkpoint) knows the item is done and a rerun does not send it again.
/// </param>
/// <param name="Messages">The conversation so far.</param>
/// <param name="Options">
/// The options (default null). <see cref="ChatOptions.ModelId"/> names the model; when null, the runner's
/// <see cref="TypedBatchOptions.ChatModel"/> is used.
/// </param>
public sealed record ChatBatchItem(string Id, IList<ChatMessage> Messages, ChatOptions? Options = null);

using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LlmBatch.Providers;

namespace LlmBatch.Documents.Tests.MapReduce;

/// <summary>
/// A provider that answers a map prompt <c>MAP {chunk} …</c> with <c>P{chunk}</c> and a reduce prompt with every
/// <c>P…</c> it contains, in order, so the final answer shows which chunks reached it and in what order. Requests
/// whose custom_id is in <see cref="Failing"/> get a 400, which is final.
/// </summary>
internal sealed partial class DigestHandler : IBatchHandler
{
    public HashSet<string> Failing { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    public ConcurrentBag<string> Prompts { get; } = [];

    public ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        Calls.AddOrUpdate(item.Request.CustomId, 1, (_, n) => n + 1);
        if (Failing.Contains(item.Request.CustomId))
        {
            return ValueTask.FromResult(new BatchResponse { StatusCode = 400, Body = """{"error":{"message":"bad request","type":"invalid_request_error"}}"""u8.ToArray() });
        }

        using var body = JsonDocument.Parse(item.Request.Body);
        var prompt = body.RootElement.GetProperty("messages")[0].GetProperty("content").GetString()!;
        Prompts.Add(prompt);
        var answer = prompt.StartsWith("MAP ", StringComparison.Ordinal)
            ? "P" + prompt[4..prompt.IndexOf(' ', 4)]
            : string.Join(" ", Part().Matches(prompt).Select(m => m.Value));
        var json = JsonSerializer.Serialize(new
        {
            id = "chatcmpl-1",
            @object = "chat.completion",
            model = "gpt-4o-mini",
            choices = new[] { new { index = 0, message = new { role = "assistant", content = answer }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 10, completion_tokens = 2, total_tokens = 12 },
        });
        return ValueTask.FromResult(new BatchResponse { StatusCode = 200, Body = Encoding.UTF8.GetBytes(json) });
    }

    [GeneratedRegex(@"\bP\d+\b")]
    private static partial Regex Part();
}

// The baseline of the macro benchmark: the program a typical C# developer writes to push a Batch API input file
// through an OpenAI-compatible endpoint. The official SDK's ChatClient with its default retry policy, one task per
// line under Parallel.ForEachAsync, Batch API output lines appended under a lock. No rate limiter, no resume: that is
// the point of comparison. Kept plain on purpose; do not "improve" it with what LlmBatch does.
//
// Usage: llmbatch-baseline INPUT -o OUTPUT --base-url URL [--max-concurrency N]   (key in OPENAI_API_KEY)
using System.ClientModel;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;

string? input = null;
string? output = null;
string? baseUrl = null;
var maxConcurrency = 256;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "-o" or "--output" when i + 1 < args.Length:
            output = args[++i];
            break;
        case "--base-url" when i + 1 < args.Length:
            baseUrl = args[++i];
            break;
        case "--max-concurrency" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0:
            maxConcurrency = n;
            i++;
            break;
        default:
            if (input is null && !args[i].StartsWith('-'))
            {
                input = args[i];
                break;
            }

            Console.Error.WriteLine($"llmbatch-baseline: unexpected argument '{args[i]}'");
            return 2;
    }
}

var apiKey = Environment.GetEnvironmentVariable("OPENAI_API_KEY");
if (input is null || output is null || baseUrl is null || string.IsNullOrEmpty(apiKey))
{
    Console.Error.WriteLine("usage: llmbatch-baseline INPUT -o OUTPUT --base-url URL [--max-concurrency N] (key in OPENAI_API_KEY)");
    return 2;
}

var clientOptions = new OpenAIClientOptions { Endpoint = new Uri(baseUrl) };
var credential = new ApiKeyCredential(apiKey);
var clients = new Dictionary<string, ChatClient>();
var writeLock = new object();
var failed = 0;

using var writer = new StreamWriter(output, append: false, new UTF8Encoding(false));

var lines = File.ReadLines(input).Where(l => !string.IsNullOrWhiteSpace(l));
await Parallel.ForEachAsync(lines, new ParallelOptions { MaxDegreeOfParallelism = maxConcurrency }, async (line, ct) =>
{
    using var doc = JsonDocument.Parse(line);
    var root = doc.RootElement;
    var customId = root.GetProperty("custom_id").GetString()!;
    var body = root.GetProperty("body");
    var model = body.GetProperty("model").GetString()!;

    var messages = new List<ChatMessage>();
    foreach (var m in body.GetProperty("messages").EnumerateArray())
    {
        var content = m.GetProperty("content").GetString() ?? "";
        messages.Add(m.GetProperty("role").GetString() switch
        {
            "system" => new SystemChatMessage(content),
            "assistant" => new AssistantChatMessage(content),
            _ => new UserChatMessage(content),
        });
    }

    var options = new ChatCompletionOptions();
    if (body.TryGetProperty("max_tokens", out var maxTokens) || body.TryGetProperty("max_completion_tokens", out maxTokens))
    {
        options.MaxOutputTokenCount = maxTokens.GetInt32();
    }

    ChatClient client;
    lock (clients)
    {
        if (!clients.TryGetValue(model, out client!))
        {
            client = new ChatClient(model, credential, clientOptions);
            clients[model] = client;
        }
    }

    var result = new JsonObject
    {
        ["id"] = "batch_req_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(customId)))[..16],
        ["custom_id"] = customId,
    };
    try
    {
        var completion = await client.CompleteChatAsync(messages, options, ct);
        var raw = completion.GetRawResponse();
        raw.Headers.TryGetValue("x-request-id", out var requestId);
        result["response"] = new JsonObject
        {
            ["status_code"] = raw.Status,
            ["request_id"] = requestId,
            ["body"] = JsonNode.Parse(raw.Content.ToString()),
        };
        result["error"] = null;
    }
    catch (ClientResultException ex)
    {
        Interlocked.Increment(ref failed);
        result["response"] = ex.Status == 0 ? null : new JsonObject { ["status_code"] = ex.Status, ["request_id"] = null, ["body"] = null };
        result["error"] = new JsonObject { ["code"] = ex.Status == 0 ? "connection_error" : $"http_{ex.Status}", ["message"] = ex.Message };
    }
    catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
    {
        // A body the SDK cannot read (cut short, not JSON), a reset connection, the SDK's own timeout.
        Interlocked.Increment(ref failed);
        result["response"] = null;
        result["error"] = new JsonObject { ["code"] = ex is JsonException or FormatException ? "invalid_response" : "connection_error", ["message"] = ex.Message };
    }

    var text = result.ToJsonString();
    lock (writeLock)
    {
        writer.WriteLine(text);
    }
});

return failed == 0 ? 0 : 1;

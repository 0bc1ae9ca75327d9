// The floor of the macro benchmark: a bare HttpClient loop over a Batch API input file. Each line's "body" is sent as
// the bytes it already is (found with Utf8JsonReader, never parsed into a DOM); each answer's bytes are copied into
// one Batch API output line with Utf8JsonWriter.WriteRawValue. No retries, no limits, no resume, no telemetry: what
// a request costs on this HTTP stack before any client logic. Kept bare on purpose; do not add features to it.
//
// Usage: llmbatch-floor INPUT -o OUTPUT --base-url URL [--max-concurrency N]   (key in OPENAI_API_KEY)
using System.Net.Http.Headers;
using System.Text.Json;

string? input = null;
string? output = null;
string? baseUrl = null;
var maxConcurrency = 64;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "-o" or "--output" when i + 1 < args.Length:
            output = args[++i];
            break;
        case "--base-url" when i + 1 < args.Length:
            baseUrl = args[++i].TrimEnd('/');
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

            Console.Error.WriteLine($"llmbatch-floor: unexpected argument '{args[i]}'");
            return 2;
    }
}

var apiKey = Environment.GetEnvironmentVariable("OPENAI_API_KEY");
if (input is null || output is null || baseUrl is null || string.IsNullOrEmpty(apiKey))
{
    Console.Error.WriteLine("usage: llmbatch-floor INPUT -o OUTPUT --base-url URL [--max-concurrency N] (key in OPENAI_API_KEY)");
    return 2;
}

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = maxConcurrency }) { Timeout = TimeSpan.FromMinutes(5) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
var mediaType = new MediaTypeHeaderValue("application/json");
var writeLock = new object();
var failed = 0;

// The whole file at once: the floor measures requests, not reading, and its inputs are a few MB.
var file = File.ReadAllBytes(input);
var lines = new List<ReadOnlyMemory<byte>>();
for (int start = 0, end; start < file.Length; start = end + 1)
{
    end = Array.IndexOf(file, (byte)'\n', start);
    if (end < 0)
    {
        end = file.Length;
    }

    if (end > start)
    {
        lines.Add(file.AsMemory(start, end - start));
    }
}

await using var outStream = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
using var jsonOut = new Utf8JsonWriter(outStream);
await Parallel.ForEachAsync(lines, new ParallelOptions { MaxDegreeOfParallelism = maxConcurrency }, async (line, ct) =>
{
    var (customId, url, body) = Fields(line);
    using var content = new ReadOnlyMemoryContent(body);
    content.Headers.ContentType = mediaType;
    int status = 0;
    byte[]? answer = null;
    string? requestId = null;
    try
    {
        using var response = await http.PostAsync(baseUrl + url[3..], content, ct);
        status = (int)response.StatusCode;
        answer = await response.Content.ReadAsByteArrayAsync(ct);
        requestId = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.FirstOrDefault() : null;
    }
    catch (HttpRequestException)
    {
    }

    var ok = status == 200;
    if (!ok)
    {
        Interlocked.Increment(ref failed);
    }

    lock (writeLock)
    {
        jsonOut.WriteStartObject();
        jsonOut.WriteString("id", "batch_req_" + customId);
        jsonOut.WriteString("custom_id", customId);
        if (status == 0)
        {
            jsonOut.WriteNull("response");
        }
        else
        {
            jsonOut.WriteStartObject("response");
            jsonOut.WriteNumber("status_code", status);
            jsonOut.WriteString("request_id", requestId);
            jsonOut.WritePropertyName("body");
            if (ok)
            {
                jsonOut.WriteRawValue(answer!, skipInputValidation: true);
            }
            else
            {
                jsonOut.WriteNullValue();
            }

            jsonOut.WriteEndObject();
        }

        if (ok)
        {
            jsonOut.WriteNull("error");
        }
        else
        {
            jsonOut.WriteStartObject("error");
            jsonOut.WriteString("code", status == 0 ? "connection_error" : "http_" + status);
            jsonOut.WriteEndObject();
        }

        jsonOut.WriteEndObject();
        jsonOut.Flush();
        outStream.WriteByte((byte)'\n');
        jsonOut.Reset();
    }
});

return failed == 0 ? 0 : 1;

// custom_id, url and the raw bytes of body, read with one forward pass and no DOM.
static (string CustomId, string Url, ReadOnlyMemory<byte> Body) Fields(ReadOnlyMemory<byte> line)
{
    var reader = new Utf8JsonReader(line.Span);
    string customId = "", url = "/v1/chat/completions";
    ReadOnlyMemory<byte> body = default;
    reader.Read();
    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
    {
        if (reader.ValueTextEquals("custom_id"u8))
        {
            reader.Read();
            customId = reader.GetString()!;
        }
        else if (reader.ValueTextEquals("url"u8))
        {
            reader.Read();
            url = reader.GetString()!;
        }
        else if (reader.ValueTextEquals("body"u8))
        {
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            body = line.Slice(start, (int)reader.BytesConsumed - start);
        }
        else
        {
            reader.Read();
            reader.Skip();
        }
    }

    return (customId, url, body);
}

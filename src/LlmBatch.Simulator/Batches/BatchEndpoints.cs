using System.Buffers;
using System.Globalization;
using System.Text.Json;
using LlmBatch.BatchApi;
using LlmBatch.Input;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace LlmBatch.Simulator;

/// <summary>
/// The HTTP side of the simulated Files and Batches APIs, under OpenAI's paths (<c>/v1/files</c>, <c>/v1/batches</c>)
/// and Azure OpenAI's (<c>/openai/files?api-version=…</c>, <c>/openai/v1/batches</c>): multipart upload, list,
/// retrieve, content download and delete of files; create, retrieve, list and cancel of batches.
/// </summary>
internal sealed class BatchEndpoints(BatchService service, Func<HttpRequest, (string? Key, string? Error)> authenticate)
{
    private const long MaxUploadBytes = 512L * 1024 * 1024;
    private const int DownloadPieces = 10;
    private static readonly string[] Purposes = ["batch", "fine-tune", "assistants", "user_data", "vision", "evals"];
    private static readonly string[] Endpoints = [EndpointPaths.ChatCompletions, EndpointPaths.Completions, EndpointPaths.Embeddings, EndpointPaths.Responses];

    private SimulatorOptions Options => service.Options;

    /// <summary>The <c>/stats</c> key of a Files or Batches API path, or null for any other path.</summary>
    public static string? StatsPath(string path) => Route(path) switch
    {
        (var rest, _) when rest.StartsWith(EndpointPaths.FilesRelative, StringComparison.Ordinal) => EndpointPaths.Files,
        (var rest, _) when rest.StartsWith(EndpointPaths.BatchesRelative, StringComparison.Ordinal) => EndpointPaths.Batches,
        _ => null,
    };

    /// <summary>Answers one Files or Batches API request; returns the status sent.</summary>
    public async Task<int> HandleAsync(HttpContext context, string path)
    {
        var (rest, azureDated) = Route(path);
        var method = context.Request.Method;
        var (key, authError) = authenticate(context.Request);
        if (authError is not null)
        {
            return await ErrorAsync(context, 401, authError, "invalid_request_error", null, key is null ? null : "invalid_api_key").ConfigureAwait(false);
        }

        if (azureDated && string.IsNullOrEmpty(context.Request.Query["api-version"]))
        {
            return await ErrorAsync(context, 404, "Resource not found: the api-version query parameter (?api-version=) is required for all requests.", "invalid_request_error", "api-version", "MissingApiVersionParameter").ConfigureAwait(false);
        }

        var parts = rest.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var azure = Options.Azure || path.StartsWith("/openai/", StringComparison.Ordinal);
        return (parts, method) switch
        {
            (["files"], "POST") => await UploadAsync(context).ConfigureAwait(false),
            (["files"], "GET") => await ListFilesAsync(context).ConfigureAwait(false),
            (["files", var id], "GET") => await FileAsync(context, id, f => Json(w => BatchJson.WriteFile(w, f))).ConfigureAwait(false),
            (["files", var id], "DELETE") => await DeleteAsync(context, id).ConfigureAwait(false),
            (["files", var id, "content"], "GET") => await ContentAsync(context, id).ConfigureAwait(false),
            (["batches"], "POST") => await CreateAsync(context, key ?? "anonymous", azure).ConfigureAwait(false),
            (["batches"], "GET") => await ListBatchesAsync(context).ConfigureAwait(false),
            (["batches", var id], "GET") => await BatchAsync(context, id, b => Json(w => BatchJson.WriteBatch(w, b.Snapshot(), Options.Azure))).ConfigureAwait(false),
            (["batches", var id, "cancel"], "POST") => await CancelAsync(context, id).ConfigureAwait(false),
            _ => await ErrorAsync(context, 404, $"Invalid URL ({method} {path})", "invalid_request_error", null, null).ConfigureAwait(false),
        };
    }

    // The part after the API root, and whether the path is Azure's dated API (which needs ?api-version=).
    private static (string Remainder, bool AzureDated) Route(string path)
    {
        if (path.StartsWith("/openai/v1/", StringComparison.Ordinal))
        {
            return (path["/openai/v1".Length..], false);
        }

        if (path.StartsWith("/openai/", StringComparison.Ordinal))
        {
            return (path["/openai".Length..], true);
        }

        return path.StartsWith(EndpointPaths.Prefix + "/", StringComparison.Ordinal) ? (path[EndpointPaths.Prefix.Length..], false) : ("", false);
    }

    private async Task<int> UploadAsync(HttpContext context)
    {
        var request = context.Request;
        var ct = context.RequestAborted;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = MaxUploadBytes + (1 << 20);
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 } boundary)
        {
            return await ErrorAsync(context, 400, "The request must be multipart/form-data with a 'file' and a 'purpose'.", "invalid_request_error", null, null).ConfigureAwait(false);
        }

        string? purpose = null;
        string? filename = null;
        byte[]? content = null;
        var reader = new MultipartReader(boundary, request.Body);
        while (await reader.ReadNextSectionAsync(ct).ConfigureAwait(false) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
            {
                continue;
            }

            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
            using var buffer = new MemoryStream();
            await section.Body.CopyToAsync(buffer, ct).ConfigureAwait(false);
            if (name == "purpose")
            {
                purpose = System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).Trim();
            }
            else if (name == "file")
            {
                filename = HeaderUtilities.RemoveQuotes(disposition.FileName).Value ?? "upload.jsonl";
                content = buffer.ToArray();
            }
        }

        if (purpose is null || content is null)
        {
            return await ErrorAsync(context, 400, $"Missing required parameter: '{(purpose is null ? "purpose" : "file")}'.", "invalid_request_error", purpose is null ? "purpose" : "file", "missing_required_parameter").ConfigureAwait(false);
        }

        if (!Purposes.Contains(purpose))
        {
            return await ErrorAsync(context, 400, $"'{purpose}' is not one of {string.Join(", ", Purposes)} - 'purpose'", "invalid_request_error", "purpose", null).ConfigureAwait(false);
        }

        if (purpose == "batch" && content.LongLength > BatchInputCheck.MaxBytes)
        {
            return await ErrorAsync(context, 400, $"File is too large: batch input files may be at most {BatchInputCheck.MaxBytes / 1_000_000} MB.", "invalid_request_error", "file", null).ConfigureAwait(false);
        }

        var file = service.Upload(filename!, purpose, content);
        await LostAnswerAsync(context).ConfigureAwait(false);
        return await AnswerAsync(context, 200, Json(w => BatchJson.WriteFile(w, file))).ConfigureAwait(false);
    }

    private async Task<int> ListFilesAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var limit = IntQuery(query, "limit", 10_000, 1, 10_000);
        var ascending = string.Equals(query["order"], "asc", StringComparison.Ordinal);
        var purpose = string.IsNullOrEmpty(query["purpose"]) ? null : query["purpose"].ToString();
        var (page, more) = service.Files.List(purpose, NullIfEmpty(query["after"]), limit, ascending);
        var buffer = new ArrayBufferWriter<byte>();
        BatchJson.WriteList(buffer, page, more, f => f.Id, BatchJson.WriteFile);
        return await AnswerAsync(context, 200, buffer).ConfigureAwait(false);
    }

    private async Task<int> FileAsync(HttpContext context, string id, Func<SimFile, ArrayBufferWriter<byte>> answer) =>
        service.Files.Get(id) is { } file
            ? await AnswerAsync(context, 200, answer(file)).ConfigureAwait(false)
            : await ErrorAsync(context, 404, $"No such File object: {id}", "invalid_request_error", "id", null).ConfigureAwait(false);

    private async Task<int> DeleteAsync(HttpContext context, string id)
    {
        if (!service.DeleteFile(id))
        {
            return await ErrorAsync(context, 404, $"No such File object: {id}", "invalid_request_error", "id", null).ConfigureAwait(false);
        }

        return await AnswerAsync(context, 200, Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "file");
            w.WriteBoolean("deleted", true);
            w.WriteEndObject();
        })).ConfigureAwait(false);
    }

    // The content goes out in pieces spread over the API latency, so a client can be stopped half-way through a download.
    private async Task<int> ContentAsync(HttpContext context, string id)
    {
        if (service.Files.Get(id) is not { } file)
        {
            return await ErrorAsync(context, 404, $"No such File object: {id}", "invalid_request_error", "id", null).ConfigureAwait(false);
        }

        var ct = context.RequestAborted;
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/octet-stream";
        response.ContentLength = file.Content.LongLength;
        var pause = Options.BatchApiLatency / DownloadPieces;
        var piece = Math.Max(1, (file.Content.Length + DownloadPieces - 1) / DownloadPieces);
        for (var offset = 0; offset < file.Content.Length; offset += piece)
        {
            await response.Body.WriteAsync(file.Content.AsMemory(offset, Math.Min(piece, file.Content.Length - offset)), ct).ConfigureAwait(false);
            await response.Body.FlushAsync(ct).ConfigureAwait(false);
            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, Options.TimeProvider, ct).ConfigureAwait(false);
            }
        }

        return 200;
    }

    private async Task<int> CreateAsync(HttpContext context, string keyName, bool azure)
    {
        var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        string? fileId = null;
        string? endpoint = null;
        string? window = null;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return await ErrorAsync(context, 400, RequestParser.UnparsableBody, "invalid_request_error", null, null).ConfigureAwait(false);
            }

            fileId = root.TryGetProperty("input_file_id", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            endpoint = root.TryGetProperty("endpoint", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            window = root.TryGetProperty("completion_window", out var cw) && cw.ValueKind == JsonValueKind.String ? cw.GetString() : null;
            if (root.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in m.EnumerateObject())
                {
                    if (p.Value.ValueKind != JsonValueKind.String || p.Name.Length > 64 || p.Value.GetString()!.Length > 512)
                    {
                        return await ErrorAsync(context, 400, "metadata values must be strings; keys at most 64 characters, values at most 512.", "invalid_request_error", "metadata", null).ConfigureAwait(false);
                    }

                    metadata[p.Name] = p.Value.GetString()!;
                }
            }
        }
        catch (JsonException)
        {
            return await ErrorAsync(context, 400, RequestParser.UnparsableBody, "invalid_request_error", null, null).ConfigureAwait(false);
        }

        var missing = fileId is null ? "input_file_id" : endpoint is null ? "endpoint" : window is null ? "completion_window" : null;
        if (missing is not null)
        {
            return await ErrorAsync(context, 400, $"Missing required parameter: '{missing}'.", "invalid_request_error", missing, "missing_required_parameter").ConfigureAwait(false);
        }

        var endpoints = azure ? Endpoints.Concat(Endpoints.Select(x => x[EndpointPaths.Prefix.Length..])).ToArray() : Endpoints;
        if (!endpoints.Contains(endpoint))
        {
            return await ErrorAsync(context, 400, $"'{endpoint}' is not one of {string.Join(", ", endpoints)} - 'endpoint'", "invalid_request_error", "endpoint", null).ConfigureAwait(false);
        }

        if (window != "24h")
        {
            return await ErrorAsync(context, 400, $"'{window}' is not one of ['24h'] - 'completion_window'", "invalid_request_error", "completion_window", null).ConfigureAwait(false);
        }

        if (metadata.Count > 16)
        {
            return await ErrorAsync(context, 400, "metadata may hold at most 16 keys.", "invalid_request_error", "metadata", null).ConfigureAwait(false);
        }

        if (service.Files.Get(fileId!) is not { } file)
        {
            return await ErrorAsync(context, 400, $"No such File object: {fileId}", "invalid_request_error", "input_file_id", null).ConfigureAwait(false);
        }

        if (file.Purpose != "batch")
        {
            return await ErrorAsync(context, 400, $"File {fileId} has purpose '{file.Purpose}'; a batch needs a file with purpose 'batch'.", "invalid_request_error", "input_file_id", null).ConfigureAwait(false);
        }

        var batch = service.Create(file, new BatchRequestInfo(file.Id, endpoint!, window, metadata, keyName), azure);
        await LostAnswerAsync(context).ConfigureAwait(false);
        return await AnswerAsync(context, 200, Json(w => BatchJson.WriteBatch(w, batch.Snapshot(), Options.Azure))).ConfigureAwait(false);
    }

    private async Task<int> ListBatchesAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var (page, more) = service.List(NullIfEmpty(query["after"]), IntQuery(query, "limit", 20, 1, 100));
        var buffer = new ArrayBufferWriter<byte>();
        BatchJson.WriteList(buffer, page.Select(b => b.Snapshot()).ToList(), more, b => b.Id, (w, b) => BatchJson.WriteBatch(w, b, Options.Azure));
        return await AnswerAsync(context, 200, buffer).ConfigureAwait(false);
    }

    private async Task<int> BatchAsync(HttpContext context, string id, Func<SimBatch, ArrayBufferWriter<byte>> answer) =>
        service.Get(id) is { } batch
            ? await AnswerAsync(context, 200, answer(batch)).ConfigureAwait(false)
            : await ErrorAsync(context, 404, $"No batch found with id '{id}'.", "invalid_request_error", "batch_id", null).ConfigureAwait(false);

    private async Task<int> CancelAsync(HttpContext context, string id)
    {
        if (service.Get(id) is not { } batch)
        {
            return await ErrorAsync(context, 404, $"No batch found with id '{id}'.", "invalid_request_error", "batch_id", null).ConfigureAwait(false);
        }

        if (!batch.Cancel(service.Now, out var status))
        {
            return await ErrorAsync(context, 400, $"Cannot cancel a batch with status '{BatchStatusMap.Wire(status)}'.", "invalid_request_error", null, null).ConfigureAwait(false);
        }

        return await AnswerAsync(context, 200, Json(w => BatchJson.WriteBatch(w, batch.Snapshot(), Options.Azure))).ConfigureAwait(false);
    }

    // The upload or batch exists now; its answer comes only after the latency, as a slow or lost reply would.
    private Task LostAnswerAsync(HttpContext context) => Options.BatchApiLatency > TimeSpan.Zero
        ? Task.Delay(Options.BatchApiLatency, Options.TimeProvider, context.RequestAborted)
        : Task.CompletedTask;

    private static async Task<int> AnswerAsync(HttpContext context, int status, ArrayBufferWriter<byte> body)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.WrittenCount;
        await response.BodyWriter.WriteAsync(body.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
        return status;
    }

    private static Task<int> ErrorAsync(HttpContext context, int status, string message, string type, string? param, string? code) =>
        AnswerAsync(context, status, ModelAnswer.Error(message, type, param, code));

    private static ArrayBufferWriter<byte> Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        return buffer;
    }

    private static int IntQuery(IQueryCollection query, string name, int fallback, int min, int max) =>
        int.TryParse(query[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? Math.Clamp(value, min, max) : fallback;

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues value) => string.IsNullOrEmpty(value) ? null : value.ToString();
}

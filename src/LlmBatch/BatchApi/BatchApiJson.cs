using System.Globalization;
using System.Text.Json;

namespace LlmBatch.BatchApi;

/// <summary>
/// Reads the Files and Batches APIs' objects. Tolerant of what providers differ in: times as Unix seconds (OpenAI) or
/// ISO 8601 strings (Azure), statuses in either case, <c>request_counts</c> with nulls, missing optional fields.
/// </summary>
internal static class BatchApiJson
{
    public static BatchApiBatch ReadBatch(JsonElement e)
    {
        var status = String(e, "status") ?? "";
        var counts = e.TryGetProperty("request_counts", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var parsed = BatchStatusMap.Parse(status);
        return new BatchApiBatch
        {
            Id = String(e, "id") ?? throw new JsonException("A batch object without an id."),
            Status = parsed,
            StatusText = status,
            Endpoint = String(e, "endpoint") ?? "",
            InputFileId = String(e, "input_file_id") ?? "",
            OutputFileId = String(e, "output_file_id"),
            ErrorFileId = String(e, "error_file_id"),
            Total = Count(counts, "total"),
            Completed = Count(counts, "completed"),
            Failed = Count(counts, "failed"),
            CreatedAt = Time(e, "created_at"),
            InProgressAt = Time(e, "in_progress_at"),
            ExpiresAt = Time(e, "expires_at"),
            EndedAt = Time(e, "completed_at") ?? Time(e, "failed_at") ?? Time(e, "expired_at") ?? Time(e, "cancelled_at"),
            Errors = Errors(e),
            Metadata = Metadata(e),
        };
    }

    public static ProviderFile ReadFile(JsonElement e) => new(
        String(e, "id") ?? throw new JsonException("A file object without an id."),
        String(e, "filename") ?? "",
        e.TryGetProperty("bytes", out var b) && b.ValueKind == JsonValueKind.Number && b.TryGetInt64(out var n) ? n : -1,
        String(e, "purpose") ?? "",
        Time(e, "created_at"));

    /// <summary>The <c>data</c> items of a list page and whether more follow.</summary>
    public static (List<JsonElement> Items, bool HasMore) ReadList(JsonElement page)
    {
        var items = page.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
            ? data.EnumerateArray().Select(x => x.Clone()).ToList()
            : [];
        var more = page.TryGetProperty("has_more", out var m) && m.ValueKind == JsonValueKind.True;
        return (items, more);
    }

    private static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Count(JsonElement counts, string name) =>
        counts.ValueKind == JsonValueKind.Object && counts.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : 0;

    private static DateTimeOffset? Time(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v))
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var seconds) && seconds > 0)
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        return v.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.ToUniversalTime()
            : null;
    }

    private static List<BatchApiError> Errors(JsonElement e)
    {
        var list = new List<BatchApiError>();
        if (!e.TryGetProperty("errors", out var errors))
        {
            return list;
        }

        // OpenAI: {"object":"list","data":[...]}; some servers send the array itself.
        var data = errors.ValueKind == JsonValueKind.Object && errors.TryGetProperty("data", out var d) ? d : errors;
        if (data.ValueKind != JsonValueKind.Array)
        {
            return list;
        }

        foreach (var item in data.EnumerateArray())
        {
            int? line = item.TryGetProperty("line", out var l) && l.ValueKind == JsonValueKind.Number && l.TryGetInt32(out var n) ? n : null;
            list.Add(new BatchApiError(String(item, "code") ?? "", String(item, "message") ?? "", line));
        }

        return list;
    }

    private static Dictionary<string, string> Metadata(JsonElement e)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in m.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.String)
                {
                    metadata[p.Name] = p.Value.GetString()!;
                }
            }
        }

        return metadata;
    }
}

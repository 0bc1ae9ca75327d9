using System.Buffers;
using System.Globalization;
using System.Text.Json;
using LlmBatch.BatchApi;

namespace LlmBatch.Simulator;

/// <summary>
/// The JSON of the Files and Batches APIs: file and batch objects, list pages, and the lines of a batch's output and
/// error files, in OpenAI's shapes. In Azure mode batch objects carry ISO 8601 times and capitalised statuses
/// (<c>"Validating"</c>), as Azure OpenAI's do, so clients are tested against both.
/// </summary>
internal static class BatchJson
{
    public const string ExpiredMessage = "This request could not be executed before the completion window expired.";
    public const string CancelledMessage = "This request was not executed because the batch was cancelled.";

    public static void WriteFile(Utf8JsonWriter w, SimFile file)
    {
        w.WriteStartObject();
        w.WriteString("id", file.Id);
        w.WriteString("object", "file");
        w.WriteNumber("bytes", file.Content.LongLength);
        w.WriteNumber("created_at", file.CreatedAt);
        w.WriteNull("expires_at");
        w.WriteString("filename", file.Filename);
        w.WriteString("purpose", file.Purpose);
        w.WriteString("status", "processed");
        w.WriteNull("status_details");
        w.WriteEndObject();
    }

    public static void WriteBatch(Utf8JsonWriter w, SimBatch.View b, bool azure)
    {
        w.WriteStartObject();
        w.WriteString("id", b.Id);
        w.WriteString("object", "batch");
        w.WriteString("endpoint", b.Endpoint);
        w.WriteString("model", b.Model);
        if (b.Problems.Count == 0)
        {
            w.WriteNull("errors");
        }
        else
        {
            w.WriteStartObject("errors");
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var p in b.Problems)
            {
                w.WriteStartObject();
                w.WriteString("code", p.Code);
                w.WriteString("message", p.Message);
                NullableString(w, "param", p.Param);
                if (p.Line is { } line)
                {
                    w.WriteNumber("line", line);
                }
                else
                {
                    w.WriteNull("line");
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteString("input_file_id", b.InputFileId);
        w.WriteString("completion_window", b.CompletionWindow);
        w.WriteString("status", azure ? Capitalised(b.Status) : BatchStatusMap.Wire(b.Status));
        NullableString(w, "output_file_id", b.OutputFileId);
        NullableString(w, "error_file_id", b.ErrorFileId);
        Time(w, "created_at", b.CreatedAt, azure);
        Time(w, "in_progress_at", b.InProgressAt, azure);
        Time(w, "expires_at", b.ExpiresAt, azure);
        Time(w, "finalizing_at", b.FinalizingAt, azure);
        Time(w, "completed_at", b.CompletedAt, azure);
        Time(w, "failed_at", b.FailedAt, azure);
        Time(w, "expired_at", b.ExpiredAt, azure);
        Time(w, "cancelling_at", b.CancellingAt, azure);
        Time(w, "cancelled_at", b.CancelledAt, azure);
        w.WriteStartObject("request_counts");
        w.WriteNumber("total", b.Total);
        w.WriteNumber("completed", b.Completed);
        w.WriteNumber("failed", b.Failed);
        w.WriteEndObject();
        if (b.Metadata.Count == 0)
        {
            w.WriteNull("metadata");
        }
        else
        {
            w.WriteStartObject("metadata");
            foreach (var (key, value) in b.Metadata)
            {
                w.WriteString(key, value);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    /// <summary>Writes a list page: <c>{"object":"list","data":[...],"first_id","last_id","has_more"}</c>.</summary>
    public static void WriteList<T>(IBufferWriter<byte> output, IReadOnlyList<T> page, bool hasMore, Func<T, string> id, Action<Utf8JsonWriter, T> item)
    {
        using var w = new Utf8JsonWriter(output);
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        foreach (var entry in page)
        {
            item(w, entry);
        }

        w.WriteEndArray();
        NullableString(w, "first_id", page.Count > 0 ? id(page[0]) : null);
        NullableString(w, "last_id", page.Count > 0 ? id(page[^1]) : null);
        w.WriteBoolean("has_more", hasMore);
        w.WriteEndObject();
    }

    /// <summary>One line of an output or error file for an item that ran: its response, <c>error</c> null.</summary>
    public static void WriteAnswerLine(IBufferWriter<byte> output, string id, string customId, int status, string requestId, ReadOnlySpan<byte> body)
    {
        using (var w = new Utf8JsonWriter(output))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("custom_id", customId);
            w.WriteStartObject("response");
            w.WriteNumber("status_code", status);
            w.WriteString("request_id", requestId);
            w.WritePropertyName("body");
            w.WriteRawValue(body, skipInputValidation: true);
            w.WriteEndObject();
            w.WriteNull("error");
            w.WriteEndObject();
        }

        NewLine(output);
    }

    /// <summary>One line of an error file for an item that never ran: <c>response</c> null, and why.</summary>
    public static void WriteUnrunLine(IBufferWriter<byte> output, string id, string customId, string code, string message)
    {
        using (var w = new Utf8JsonWriter(output))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("custom_id", customId);
            w.WriteNull("response");
            w.WriteStartObject("error");
            w.WriteString("code", code);
            w.WriteString("message", message);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        NewLine(output);
    }

    // Azure writes the statuses' names as they are: "Validating", "InProgress".
    private static string Capitalised(BatchApiStatus status) => status.ToString();

    private static void Time(Utf8JsonWriter w, string name, DateTimeOffset? value, bool iso)
    {
        if (value is not { } t)
        {
            w.WriteNull(name);
        }
        else if (iso)
        {
            w.WriteString(name, t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'+00:00'", CultureInfo.InvariantCulture));
        }
        else
        {
            w.WriteNumber(name, t.ToUnixTimeSeconds());
        }
    }

    private static void NullableString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void NewLine(IBufferWriter<byte> output)
    {
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }
}

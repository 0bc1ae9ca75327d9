using System.Buffers;
using System.Text.Json;
using LlmBatch.Json;
using LlmBatch.Output;

namespace LlmBatch.Input;

/// <summary>
/// The metadata file written beside a prepared request file: one <c>{"custom_id","metadata":{...}}</c> line per
/// item. Kept apart from the requests so that the request file can still be uploaded to a provider's Batch API unchanged.
/// </summary>
internal static class BatchMetadataFile
{
    public static void WriteLine(IBufferWriter<byte> output, string customId, IReadOnlyList<KeyValuePair<string, string>> metadata)
    {
        using (var w = new Utf8JsonWriter(output, JsonFiles.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("custom_id"u8, customId);
            w.WriteStartObject("metadata"u8);
            foreach (var kv in metadata)
            {
                w.WriteString(kv.Key, kv.Value);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        output.Write("\n"u8);
    }

    /// <summary>
    /// Reads a metadata file one item at a time, in file order with its columns (a merge of 10 M items must not hold
    /// them all). Every bad line is reported at the end, in one exception, after the good ones.
    /// </summary>
    public static async IAsyncEnumerable<(string CustomId, IReadOnlyList<KeyValuePair<string, string>> Metadata)> ReadAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = JsonlLineReader.Open(path);
        await using var readerScope = reader.ConfigureAwait(false);
        var errors = new List<BatchInputError>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var line = reader.LineNumber;
            if (reader.IsBlank)
            {
                continue;
            }

            if (reader.ProblemError() is { } problem)
            {
                errors.Add(problem);
                continue;
            }

            (string, IReadOnlyList<KeyValuePair<string, string>>)? item = null;
            try
            {
                using var doc = JsonDocument.Parse(reader.Line, JsonLimits.Document);
                if (!doc.RootElement.TryGetProperty("custom_id", out var id) || id.ValueKind != JsonValueKind.String)
                {
                    errors.Add(new BatchInputError(path, line, "custom_id", "is missing or not a string"));
                    continue;
                }

                var fields = new List<KeyValuePair<string, string>>();
                if (doc.RootElement.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in meta.EnumerateObject())
                    {
                        fields.Add(new(p.Name, p.Value.ValueKind == JsonValueKind.String ? JsonText.GetLenient(p.Value) : p.Value.GetRawText()));
                    }
                }

                item = (id.GetString()!, fields);
            }
            catch (JsonException ex)
            {
                errors.Add(new BatchInputError(path, line, "", $"invalid JSON: {ex.Message.Split(" Path:")[0]}"));
            }
            catch (InvalidOperationException)
            {
                errors.Add(new BatchInputError(path, line, "", "a key or the custom_id holds an unpaired surrogate escape (such as \\ud83d)"));
            }

            if (item is { } found)
            {
                yield return found;
            }
        }

        if (errors.Count > 0)
        {
            throw new BatchInputException(errors);
        }
    }
}

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using LlmBatch.Json;
using LlmBatch.Output;

namespace LlmBatch.Input;

/// <summary>
/// The items of a simple input file, whatever its format: plain text (one item per line), CSV or TSV (a header, then
/// one item per record) or JSONL (one object per line). All three read through the one line reader, so a BOM, CRLF,
/// the line cap and invalid UTF-8 are handled as in every other input; a line the reader rejects is an error naming
/// its file and line, and the rest of the file is still checked.
/// </summary>
internal static class ItemSources
{
    /// <summary>The items of <paramref name="reader"/>'s file in <paramref name="format"/> (already resolved from Auto).</summary>
    public static IAsyncEnumerable<ItemRow> ReadAsync(JsonlLineReader reader, BatchInputFormat format, BatchInputConversionOptions options, ConversionState state, CancellationToken cancellationToken) => format switch
    {
        BatchInputFormat.Csv => ReadCsvAsync(reader, options.ResolveDelimiter(reader.Path), options, state, cancellationToken),
        BatchInputFormat.Jsonl => ReadJsonlAsync(reader, options, state, cancellationToken),
        _ => ReadTextAsync(reader, state, cancellationToken),
    };

    /// <summary>True when the line reader rejected the current line; its error is recorded.</summary>
    private static bool Rejected(JsonlLineReader reader, ConversionState state)
    {
        if (reader.ProblemError() is not { } error)
        {
            return false;
        }

        state.Add(error);
        return true;
    }

    private static async IAsyncEnumerable<ItemRow> ReadTextAsync(JsonlLineReader reader, ConversionState state, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Rejected(reader, state))
            {
                continue;
            }

            // The item's text is a string anyway; a line of other Unicode spaces is blank too.
            var text = reader.IsBlank ? "" : Encoding.UTF8.GetString(reader.Line.Span);
            if (text.AsSpan().Trim().IsEmpty)
            {
                state.BlankLines++;
                continue;
            }

            yield return new ItemRow(reader.LineNumber, null, null, text, "line", []);
        }
    }

    private static async IAsyncEnumerable<ItemRow> ReadCsvAsync(JsonlLineReader reader, char delimiter, BatchInputConversionOptions options, ConversionState state, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = reader.Path;
        var csv = new CsvRecordReader(path, delimiter);
        var chars = ArrayPool<char>.Shared.Rent(4096);
        try
        {
            string[]? header = null;
            int textIndex = -1, idIndex = -1;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Rejected(reader, state))
                {
                    csv.Abandon();
                    continue;
                }

                var bytes = reader.Line.Span;
                if (chars.Length < bytes.Length)
                {
                    ArrayPool<char>.Shared.Return(chars);
                    chars = ArrayPool<char>.Shared.Rent(bytes.Length);
                }

                var length = Encoding.UTF8.GetChars(bytes, chars);
                if (!csv.AddLine(chars.AsSpan(0, length), reader.LineNumber, out var error))
                {
                    continue;
                }

                if (error is not null)
                {
                    state.Add(error);
                    continue;
                }

                var fields = csv.Fields;
                var line = csv.StartLine;
                if (fields.Count == 0)
                {
                    state.BlankLines++;
                    continue;
                }

                if (header is null)
                {
                    header = new string[fields.Count];
                    for (var i = 0; i < header.Length; i++)
                    {
                        header[i] = fields[i].Trim();
                    }

                    csv.Header = header;
                    textIndex = Array.IndexOf(header, options.TextColumn);
                    var idColumn = options.IdColumn;
                    idIndex = Array.IndexOf(header, idColumn ?? "custom_id");
                    if (idColumn is null && idIndex < 0)
                    {
                        idIndex = Array.IndexOf(header, "id");
                    }

                    var missing = textIndex < 0 ? options.TextColumn : idColumn is not null && idIndex < 0 ? idColumn : null;
                    if (missing is not null)
                    {
                        var hint = header.Length == 1 && delimiter != '\t' && header[0].Contains('\t', StringComparison.Ordinal) ? " (the file looks tab-separated: give --delimiter tab)"
                            : header.Length == 1 && delimiter != ';' && header[0].Contains(';', StringComparison.Ordinal) ? " (the file looks semicolon-separated: give --delimiter ';')"
                            : "";
                        state.Add(new BatchInputError(path, line, missing, $"no such column; the header has: {string.Join(", ", header)}{hint}"));
                        yield break;
                    }

                    continue;
                }

                if (fields.Count != header.Length)
                {
                    state.Add(new BatchInputError(path, line, "", $"the row has {fields.Count} fields but the header has {header.Length}; a field holding {CsvDelimiter.Describe(delimiter)} must be in double quotes"));
                    continue;
                }

                var metadata = new List<KeyValuePair<string, string>>(header.Length);
                for (var i = 0; i < header.Length; i++)
                {
                    if (i != textIndex && i != idIndex)
                    {
                        metadata.Add(new(header[i], fields[i]));
                    }
                }

                yield return new ItemRow(line, idIndex >= 0 ? fields[idIndex].Trim() : null, idIndex >= 0 ? header[idIndex] : null, fields[textIndex], header[textIndex], metadata);
            }

            if (csv.Finish() is { } unclosed)
            {
                state.Add(unclosed);
            }

            if (header is null)
            {
                state.Add(new BatchInputError(path, 0, "", "the file is empty; a CSV input needs a header row and at least one data row"));
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private static async IAsyncEnumerable<ItemRow> ReadJsonlAsync(JsonlLineReader reader, BatchInputConversionOptions options, ConversionState state, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Rejected(reader, state))
            {
                continue;
            }

            if (reader.IsBlank)
            {
                state.BlankLines++;
                continue;
            }

            // Parsed from the line's bytes: no string per line, only the values the item keeps.
            if (ParseJsonlItem(reader.Line, reader.Path, reader.LineNumber, options, state) is { } row)
            {
                yield return row;
            }
        }
    }

    private static ItemRow? ParseJsonlItem(ReadOnlyMemory<byte> text, string path, long line, BatchInputConversionOptions options, ConversionState state)
    {
        try
        {
            using var doc = JsonDocument.Parse(text, JsonLimits.Document);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                state.Add(new BatchInputError(path, line, "", "the line is not a JSON object"));
                return null;
            }

            string? body = null, id = null;
            string? idField = null;
            var metadata = new List<KeyValuePair<string, string>>();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                var isId = options.IdColumn is not null ? p.Name == options.IdColumn : p.Name is "custom_id" or "id";
                if (p.Name == options.TextColumn)
                {
                    if (p.Value.ValueKind != JsonValueKind.String)
                    {
                        state.Add(new BatchInputError(path, line, p.Name, $"must be a string (found {p.Value.ValueKind.ToString().ToLowerInvariant()})"));
                        return null;
                    }

                    // Text cut in the middle of an emoji is sent with U+FFFD in place of the lone half.
                    body = JsonText.GetLenient(p.Value);
                }
                else if (isId && idField is null)
                {
                    id = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText();
                    idField = p.Name;
                }
                else
                {
                    metadata.Add(new(p.Name, p.Value.ValueKind == JsonValueKind.String ? JsonText.GetLenient(p.Value) : p.Value.GetRawText()));
                }
            }

            if (body is null)
            {
                state.Add(new BatchInputError(path, line, options.TextColumn, "is missing"));
                return null;
            }

            if (options.IdColumn is not null && idField is null)
            {
                state.Add(new BatchInputError(path, line, options.IdColumn, "is missing"));
                return null;
            }

            return new ItemRow(line, id, idField, body, options.TextColumn, metadata);
        }
        catch (JsonException ex)
        {
            state.Add(new BatchInputError(path, line, "", $"invalid JSON: {ex.Message.Split(" Path:")[0]}"));
        }
        catch (InvalidOperationException)
        {
            // A key or an id (they become custom_ids and column names) with an escaped lone surrogate.
            state.Add(new BatchInputError(path, line, "", "a key or the id holds an unpaired surrogate escape (such as \\ud83d); keys and ids must be valid Unicode"));
        }

        return null;
    }
}

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using LlmBatch.Files;
using LlmBatch.Json;
using LlmBatch.Output;

namespace LlmBatch.Input;

/// <summary>
/// Turns plain text (one item per line), CSV (one column) or JSONL (one field) plus a prompt template into
/// Batch API request lines, so that nobody has to write the Batch format by hand. The other columns travel along
/// as metadata, which the results manager joins back by custom_id.
/// </summary>
public static class BatchInputConverter
{
    private const int MaxListedErrors = 100;

    /// <summary>
    /// Reads a simple input file as requests. The whole file is checked before the first item is returned, so a
    /// problem on the last line stops the run before anything is sent.
    /// </summary>
    /// <param name="path">The text, CSV or JSONL file.</param>
    /// <param name="options">How to convert it.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The items in file order.</returns>
    /// <exception cref="BatchOptionsException">The options are invalid.</exception>
    /// <exception cref="BatchInputException">The file has problems; every one is listed with its line and column.</exception>
    public static async IAsyncEnumerable<PreparedBatchItem> ReadAsync(
        string path,
        BatchInputConversionOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var state = new ParseState();
        await foreach (var _ in ParseAsync(path, options, state, cancellationToken).ConfigureAwait(false))
        {
            // The first pass only checks: nothing is returned from a file with problems.
        }

        state.ThrowIfErrors();
        await foreach (var item in ParseAsync(path, options, new ParseState(), cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <summary>
    /// Converts a simple input file into a Batch API request file, plus a metadata file beside it
    /// (<see cref="MetadataPathFor"/>) when items carry other columns. Nothing is written when the input has problems.
    /// </summary>
    /// <param name="inputPath">The text, CSV or JSONL file.</param>
    /// <param name="outputPath">The request file to write (replaced if it exists).</param>
    /// <param name="options">How to convert it.</param>
    /// <param name="cancellationToken">Stops the conversion.</param>
    /// <returns>What was written.</returns>
    /// <exception cref="BatchOptionsException">The options are invalid, or the output (or its metadata file) is the input under some name.</exception>
    /// <exception cref="BatchInputException">The input has problems.</exception>
    public static async Task<BatchConversionReport> ConvertFileAsync(
        string inputPath,
        string outputPath,
        BatchInputConversionOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputPath);
        ArgumentNullException.ThrowIfNull(outputPath);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        foreach (var written in (ReadOnlySpan<string>)[outputPath, MetadataPathFor(outputPath)])
        {
            if (FileIdentity.SameFile(written, inputPath))
            {
                // Under any name (a link, another case): the input would be replaced by what is made from it.
                throw new BatchOptionsException([$"{written} is the input file {inputPath}; write the requests elsewhere."]);
            }
        }

        var check = new ParseState();
        await foreach (var _ in ParseAsync(inputPath, options, check, cancellationToken).ConfigureAwait(false))
        {
        }

        check.ThrowIfErrors();

        var metadataPath = MetadataPathFor(outputPath);
        long items = 0;
        var anyMetadata = false;
        var state = new ParseState();
        var buffer = new ArrayBufferWriter<byte>(4096);

        // Unique temp files, created exclusively: a fixed name such as requests.jsonl.tmp could be a planted link.
        var outputFile = AtomicFile.Begin(outputPath, throughLink: false);
        await using (outputFile.ConfigureAwait(false))
        {
            var output = outputFile.Stream;
            var metaFile = AtomicFile.Begin(metadataPath, throughLink: false);
            await using var metaScope = metaFile.ConfigureAwait(false);
            var meta = metaFile.Stream;
            await foreach (var item in ParseAsync(inputPath, options, state, cancellationToken).ConfigureAwait(false))
            {
                buffer.ResetWrittenCount();
                WriteRequestLine(buffer, item.Request);
                await output.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                if (item.Metadata.Count > 0)
                {
                    anyMetadata = true;
                }

                buffer.ResetWrittenCount();
                BatchMetadataFile.WriteLine(buffer, item.Request.CustomId, item.Metadata);
                await meta.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                items++;
            }

            await outputFile.CommitAsync().ConfigureAwait(false);
            if (anyMetadata)
            {
                await metaFile.CommitAsync().ConfigureAwait(false);
            }
        }

        return new BatchConversionReport(items, check.BlankLines, outputPath, anyMetadata ? metadataPath : null);
    }

    /// <summary>The metadata file written beside a request file: <c>requests.jsonl</c> → <c>requests.metadata.jsonl</c>.</summary>
    /// <param name="requestsPath">The request file.</param>
    /// <returns>The metadata file's path.</returns>
    public static string MetadataPathFor(string requestsPath)
    {
        ArgumentNullException.ThrowIfNull(requestsPath);
        var ext = Path.GetExtension(requestsPath);
        var stem = ext.Length > 0 ? requestsPath[..^ext.Length] : requestsPath;
        return stem + ".metadata.jsonl";
    }

    /// <summary>Writes one Batch API input line for a request, newline included.</summary>
    internal static void WriteRequestLine(IBufferWriter<byte> output, BatchRequest request)
    {
        using (var w = new Utf8JsonWriter(output, JsonFiles.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("custom_id"u8, request.CustomId);
            w.WriteString("method"u8, "POST"u8);
            w.WriteString("url"u8, request.Url);
            w.WritePropertyName("body"u8);
            w.WriteRawValue(request.Body.Span, skipInputValidation: true);
            w.WriteEndObject();
        }

        output.Write("\n"u8);
    }

    /// <summary>Builds the body for one item's prompt as the endpoint expects it.</summary>
    internal static byte[] BuildBody(BatchInputConversionOptions options, BatchEndpointKind endpoint, string prompt)
        => BuildBody(options, endpoint, prompt, null);

    /// <summary>Builds an embeddings body whose <c>input</c> is an array of texts, one vector each.</summary>
    internal static byte[] BuildEmbeddingsBody(BatchInputConversionOptions options, IReadOnlyList<string> inputs)
        => BuildBody(options, BatchEndpointKind.Embeddings, "", inputs);

    private static byte[] BuildBody(BatchInputConversionOptions options, BatchEndpointKind endpoint, string prompt, IReadOnlyList<string>? inputs)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (prompt.Length * 2));
        using (var w = new Utf8JsonWriter(buffer, JsonFiles.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("model"u8, options.Model);
            switch (endpoint)
            {
                case BatchEndpointKind.ChatCompletions:
                    w.WriteStartArray("messages"u8);
                    if (!string.IsNullOrEmpty(options.SystemPrompt))
                    {
                        w.WriteStartObject();
                        w.WriteString("role"u8, "system"u8);
                        w.WriteString("content"u8, options.SystemPrompt);
                        w.WriteEndObject();
                    }

                    w.WriteStartObject();
                    w.WriteString("role"u8, "user"u8);
                    w.WriteString("content"u8, prompt);
                    w.WriteEndObject();
                    w.WriteEndArray();
                    break;
                case BatchEndpointKind.Completions:
                    w.WriteString("prompt"u8, prompt);
                    break;
                default:
                    if (inputs is null)
                    {
                        w.WriteString("input"u8, prompt);
                    }
                    else
                    {
                        w.WriteStartArray("input"u8);
                        foreach (var input in inputs)
                        {
                            w.WriteStringValue(input);
                        }

                        w.WriteEndArray();
                    }

                    break;
            }

            if (options.MaxTokens is { } max && endpoint is BatchEndpointKind.ChatCompletions or BatchEndpointKind.Completions)
            {
                w.WriteNumber("max_tokens"u8, max);
            }
            else if (options.MaxTokens is { } maxOut && endpoint == BatchEndpointKind.Responses)
            {
                w.WriteNumber("max_output_tokens"u8, maxOut);
            }

            if (options.ExtraBody is not null)
            {
                using var extra = JsonDocument.Parse(options.ExtraBody);
                foreach (var p in extra.RootElement.EnumerateObject())
                {
                    p.WriteTo(w);
                }
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static BatchInputFormat ResolveFormat(string path, BatchInputFormat format)
    {
        if (format != BatchInputFormat.Auto)
        {
            return format;
        }

        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".csv" => BatchInputFormat.Csv,
            ".jsonl" or ".ndjson" => BatchInputFormat.Jsonl,
            _ => BatchInputFormat.Text,
        };
    }

    private static async IAsyncEnumerable<PreparedBatchItem> ParseAsync(
        string path,
        BatchInputConversionOptions options,
        ParseState state,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            state.Add(new BatchInputError(path, 0, "", "the file does not exist"));
            yield break;
        }

        var template = PromptTemplate.Parse(options.Template);
        BatchLineParser.TryGetEndpoint(options.Url, out var endpoint);
        var format = ResolveFormat(path, options.Format);
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, new FileStreamOptions { Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 1 << 16, Options = FileOptions.SequentialScan });
        var source = format switch
        {
            BatchInputFormat.Csv => ReadCsvAsync(reader, path, options, state, cancellationToken),
            BatchInputFormat.Jsonl => ReadJsonlAsync(reader, path, options, state, cancellationToken),
            _ => ReadTextAsync(reader, state, cancellationToken),
        };

        await foreach (var row in source.ConfigureAwait(false))
        {
            state.ItemNumber++;
            var id = row.Id ?? $"item-{state.ItemNumber}";
            var where = row.IdField ?? "custom_id";
            var ok = true;
            if (id.Length == 0)
            {
                state.Add(new BatchInputError(path, row.Line, where, "is empty; every item needs an id"));
                ok = false;
            }
            else if (!state.Ids.Add(id))
            {
                state.Add(new BatchInputError(path, row.Line, where, $"\"{id}\" is used by an earlier item; ids must be unique"));
                ok = false;
            }

            if (row.Text.Trim().Length == 0)
            {
                state.Add(new BatchInputError(path, row.Line, row.TextField, "is empty"));
                ok = false;
            }

            var prompt = template.Render(name => name == "text" ? row.Text : Lookup(row.Metadata, name), out var missing);
            if (missing is not null)
            {
                state.Add(new BatchInputError(path, row.Line, missing, $"the template uses {{{missing}}} but the item has no such {(format == BatchInputFormat.Jsonl ? "field" : "column")}"));
                ok = false;
            }

            if (!ok)
            {
                continue;
            }

            var request = new BatchRequest(id, endpoint, options.Url, BuildBody(options, endpoint, prompt), options.Model, options.MaxTokens, row.Line);
            yield return new PreparedBatchItem(request, row.Text, row.Metadata);
        }
    }

    private static string? Lookup(IReadOnlyList<KeyValuePair<string, string>> metadata, string name)
    {
        foreach (var kv in metadata)
        {
            if (kv.Key == name)
            {
                return kv.Value;
            }
        }

        return null;
    }

    private static async IAsyncEnumerable<SourceRow> ReadTextAsync(StreamReader reader, ParseState state, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long line = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
        {
            line++;
            if (text.Trim().Length == 0)
            {
                state.BlankLines++;
                continue;
            }

            yield return new SourceRow(line, null, null, text, "line", []);
        }
    }

    private static async IAsyncEnumerable<SourceRow> ReadCsvAsync(StreamReader reader, string path, BatchInputConversionOptions options, ParseState state, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The CSV reader is synchronous over a buffered reader; reading the file ahead in one go keeps the
        // parser simple and costs nothing for the file sizes a hand-made CSV has.
        var content = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        var csv = new CsvRecordReader(new StringReader(content), path);
        var fields = new List<string>();
        string[]? header = null;
        int textIndex = -1, idIndex = -1;
        while (csv.TryRead(fields, out var line, out var error))
        {
            if (error is not null)
            {
                state.Add(error);
                continue;
            }

            if (fields.Count == 0)
            {
                state.BlankLines++;
                continue;
            }

            if (header is null)
            {
                header = [.. fields.Select(f => f.Trim())];
                textIndex = Array.IndexOf(header, options.TextColumn);
                if (textIndex < 0)
                {
                    state.Add(new BatchInputError(path, line, options.TextColumn, $"no such column; the header has: {string.Join(", ", header)}"));
                    yield break;
                }

                if (options.IdColumn is not null)
                {
                    idIndex = Array.IndexOf(header, options.IdColumn);
                    if (idIndex < 0)
                    {
                        state.Add(new BatchInputError(path, line, options.IdColumn, $"no such column; the header has: {string.Join(", ", header)}"));
                        yield break;
                    }
                }
                else
                {
                    idIndex = Array.IndexOf(header, "custom_id");
                    if (idIndex < 0)
                    {
                        idIndex = Array.IndexOf(header, "id");
                    }
                }

                continue;
            }

            if (fields.Count != header.Length)
            {
                state.Add(new BatchInputError(path, line, "", $"the row has {fields.Count} fields but the header has {header.Length}; a field with a comma must be in double quotes"));
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

            yield return new SourceRow(line, idIndex >= 0 ? fields[idIndex].Trim() : null, idIndex >= 0 ? header[idIndex] : null, fields[textIndex], header[textIndex], metadata);
        }

        if (header is null)
        {
            state.Add(new BatchInputError(path, 0, "", "the file is empty; a CSV input needs a header row and at least one data row"));
        }
    }

    private static async IAsyncEnumerable<SourceRow> ReadJsonlAsync(StreamReader reader, string path, BatchInputConversionOptions options, ParseState state, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long line = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
        {
            line++;
            if (text.Trim().Length == 0)
            {
                state.BlankLines++;
                continue;
            }

            SourceRow? row = null;
            try
            {
                using var doc = JsonDocument.Parse(text, JsonLimits.Document);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    state.Add(new BatchInputError(path, line, "", "the line is not a JSON object"));
                    continue;
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
                            body = null;
                            goto next;
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
                }
                else if (options.IdColumn is not null && idField is null)
                {
                    state.Add(new BatchInputError(path, line, options.IdColumn, "is missing"));
                }
                else
                {
                    row = new SourceRow(line, id, idField, body, options.TextColumn, metadata);
                }
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

        next:
            if (row is not null)
            {
                yield return row;
            }
        }
    }

    private sealed record SourceRow(long Line, string? Id, string? IdField, string Text, string TextField, IReadOnlyList<KeyValuePair<string, string>> Metadata);

    private sealed class ParseState
    {
        private readonly List<BatchInputError> _errors = [];
        private long _total;

        public HashSet<string> Ids { get; } = new(StringComparer.Ordinal);

        public long BlankLines { get; set; }

        public long ItemNumber { get; set; }

        public void Add(BatchInputError error)
        {
            _total++;
            if (_errors.Count < MaxListedErrors)
            {
                _errors.Add(error);
            }
        }

        public void ThrowIfErrors()
        {
            if (_total > 0)
            {
                throw new BatchInputException(_errors, _total);
            }
        }
    }
}

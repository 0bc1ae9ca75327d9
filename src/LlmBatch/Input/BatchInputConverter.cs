using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using LlmBatch.Files;
using LlmBatch.Output;

namespace LlmBatch.Input;

/// <summary>
/// Turns plain text (one item per line), CSV (one column) or JSONL (one field) plus a prompt template into
/// Batch API request lines, so that nobody has to write the Batch format by hand. The other columns travel along
/// as metadata, which the results manager joins back by custom_id.
/// </summary>
public static class BatchInputConverter
{
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
        var state = new ConversionState();
        await foreach (var _ in ParseAsync(path, options, state, cancellationToken).ConfigureAwait(false))
        {
            // The first pass only checks: nothing is returned from a file with problems.
        }

        state.ThrowIfErrors();
        await foreach (var item in ParseAsync(path, options, new ConversionState(), cancellationToken).ConfigureAwait(false))
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

        var check = new ConversionState();
        await foreach (var _ in ParseAsync(inputPath, options, check, cancellationToken).ConfigureAwait(false))
        {
        }

        check.ThrowIfErrors();

        var metadataPath = MetadataPathFor(outputPath);
        long items = 0;
        var anyMetadata = false;
        var state = new ConversionState();
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
            ".csv" or ".tsv" => BatchInputFormat.Csv,
            ".jsonl" or ".ndjson" => BatchInputFormat.Jsonl,
            _ => BatchInputFormat.Text,
        };
    }

    private static async IAsyncEnumerable<PreparedBatchItem> ParseAsync(
        string path,
        BatchInputConversionOptions options,
        ConversionState state,
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
        JsonlLineReader reader;
        try
        {
            reader = JsonlLineReader.Open(path, BatchValidationOptions.DefaultMaxLineBytes);
        }
        catch (BatchInputException ex)
        {
            foreach (var e in ex.Errors)
            {
                state.Add(e);
            }

            yield break;
        }

        await using var readerScope = reader.ConfigureAwait(false);
        var source = ItemSources.ReadAsync(reader, format, options, state, cancellationToken);
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
}

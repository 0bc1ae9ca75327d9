using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch.Documents;

/// <summary>
/// The manifest written beside a document run's requests: what each chunk is (document, index, offsets, page, text),
/// where each document ends, and which files were skipped and why. The merge joins vectors and answers back to it,
/// the reduce reads a document's chunks from it, and the report lists the skipped files from it.
/// </summary>
public static class DocumentManifest
{
    /// <summary>The manifest beside a run's output: <c>out/chunks.jsonl</c> → <c>out/chunks.documents.jsonl</c>.</summary>
    /// <param name="outputPath">The run's output (results) file.</param>
    /// <returns>The manifest's path.</returns>
    public static string PathFor(string outputPath)
    {
        ArgumentNullException.ThrowIfNull(outputPath);
        var stem = outputPath.EndsWith(".results.jsonl", StringComparison.OrdinalIgnoreCase)
            ? outputPath[..^".results.jsonl".Length]
            : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(outputPath) ?? "", System.IO.Path.GetFileNameWithoutExtension(outputPath));
        return stem + ".documents.jsonl";
    }

    /// <summary>Reads a manifest line by line, in file order.</summary>
    /// <param name="path">The manifest.</param>
    /// <param name="includeText">False to leave the chunks' texts out (<see cref="ManifestEntry.Text"/> null), saving memory.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The entries.</returns>
    /// <exception cref="BatchInputException">A line is not a manifest line.</exception>
    public static async IAsyncEnumerable<ManifestEntry> ReadAsync(string path, bool includeText = true, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new JsonlLineReader(stream, path);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.IsBlank)
                {
                    continue;
                }

                yield return Parse(reader.Line.Span, includeText) ?? throw new BatchInputException(new BatchInputError(path, reader.LineNumber, "", "not a document manifest line"));
            }
        }
    }

    internal static void WriteChunk(IBufferWriter<byte> output, string customId, string path, TextChunk chunk)
    {
        using (var w = new Utf8JsonWriter(output, JsonFiles.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("custom_id"u8, customId);
            w.WriteString("path"u8, path);
            w.WriteNumber("chunk"u8, chunk.Index);
            w.WriteNumber("start"u8, chunk.Start);
            w.WriteNumber("end"u8, chunk.End);
            w.WriteNumber("overlap"u8, chunk.Overlap);
            w.WriteNumber("tokens"u8, chunk.Tokens);
            if (chunk.Page is { } page)
            {
                w.WriteNumber("page"u8, page);
                w.WriteNumber("page_end"u8, chunk.LastPage ?? page);
            }

            w.WriteString("text"u8, chunk.Text);
            w.WriteEndObject();
        }

        output.Write("\n"u8);
    }

    internal static void WriteDocumentEnd(IBufferWriter<byte> output, string path, int chunks, long chars)
    {
        using (var w = new Utf8JsonWriter(output, JsonFiles.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("document"u8, path);
            w.WriteNumber("chunks"u8, chunks);
            w.WriteNumber("chars"u8, chars);
            w.WriteEndObject();
        }

        output.Write("\n"u8);
    }

    internal static void WriteSkipped(IBufferWriter<byte> output, string path, string reason)
    {
        using (var w = new Utf8JsonWriter(output, JsonFiles.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("skipped"u8, path);
            w.WriteString("reason"u8, reason);
            w.WriteEndObject();
        }

        output.Write("\n"u8);
    }

    private static ManifestEntry? Parse(ReadOnlySpan<byte> line, bool includeText)
    {
        string? customId = null, path = null, text = null, reason = null;
        long start = 0, end = 0;
        int chunk = 0, overlap = 0, tokens = 0, chunks = 0;
        int? page = null, lastPage = null;
        var reader = new Utf8JsonReader(line);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "custom_id": customId = reader.GetString(); break;
                    case "path" or "document" or "skipped": path = reader.GetString(); break;
                    case "chunk": chunk = reader.GetInt32(); break;
                    case "start": start = reader.GetInt64(); break;
                    case "end": end = reader.GetInt64(); break;
                    case "overlap": overlap = reader.GetInt32(); break;
                    case "tokens": tokens = reader.GetInt32(); break;
                    case "page": page = reader.GetInt32(); break;
                    case "page_end": lastPage = reader.GetInt32(); break;
                    case "chunks": chunks = reader.GetInt32(); break;
                    case "reason": reason = reader.GetString(); break;
                    case "text": text = includeText ? reader.GetString() : null; break;
                    default: reader.Skip(); break;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }

        return path is null ? null : new ManifestEntry
        {
            CustomId = customId,
            Path = path,
            Chunk = chunk,
            Start = start,
            End = end,
            Overlap = overlap,
            Tokens = tokens,
            Page = page,
            LastPage = lastPage,
            Text = text,
            Chunks = chunks,
            SkipReason = reason,
        };
    }
}

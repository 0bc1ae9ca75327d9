using System.Buffers;
using System.Globalization;
using LlmBatch.Input;

namespace LlmBatch.Documents;

/// <summary>
/// Turns a folder, glob or file of documents into Batch API request lines, one per chunk, plus the manifest that
/// says what each chunk is. Documents are read, chunked and written one at a time, each as a stream, so memory does
/// not grow with the number of files or the size of one. A file that cannot be read is skipped with its reason and
/// never stops the others; what was written for it before the problem showed is taken back.
/// </summary>
public static class DocumentPreparer
{
    private const int MaxListedSkips = 1000;

    // A document whose chunks are all kept in memory to count them for {chunks}; a longer one is chunked twice.
    private const long BufferedChars = 4L << 20;

    /// <summary>The custom_id of a chunk: the document's path, <c>#</c> and the 0-based index in at least four digits.</summary>
    /// <param name="path">The document's relative path.</param>
    /// <param name="index">The chunk's index.</param>
    /// <returns>For example <c>reports/q3.pdf#0007</c>.</returns>
    public static string ChunkId(string path, int index) => string.Create(CultureInfo.InvariantCulture, $"{path}#{index:D4}");

    /// <summary>Prepares the requests and the manifest.</summary>
    /// <param name="input">A folder (recursive), a glob or one file.</param>
    /// <param name="requestsPath">The request file to write (replaced).</param>
    /// <param name="manifestPath">The manifest to write (replaced), see <see cref="DocumentManifest.PathFor"/>.</param>
    /// <param name="options">How to build the requests and cut the documents.</param>
    /// <param name="cancellationToken">Stops the preparation; the files are then left as they were.</param>
    /// <returns>What was written and skipped.</returns>
    /// <exception cref="BatchOptionsException">The options are invalid.</exception>
    /// <exception cref="BatchInputException">The input names nothing, or no document in it could be read.</exception>
    public static async Task<DocumentPrepareReport> PrepareAsync(string input, string requestsPath, string manifestPath, DocumentPrepareOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(input);
        ArgumentException.ThrowIfNullOrEmpty(requestsPath);
        ArgumentException.ThrowIfNullOrEmpty(manifestPath);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var writer = new Writer(options);
        var requestsTemp = requestsPath + ".tmp";
        var manifestTemp = manifestPath + ".tmp";
        var skipped = new List<SkippedDocument>();
        long documents = 0, chunks = 0, skippedCount = 0;
        var requests = new FileStream(requestsTemp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        var manifest = new FileStream(manifestTemp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        await using (requests.ConfigureAwait(false))
        await using (manifest.ConfigureAwait(false))
        {
            foreach (var document in DocumentSource.Enumerate(input, options.Exclude))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var requestsMark = requests.Position;
                var manifestMark = manifest.Position;
                string? reason;
                try
                {
                    var n = await writer.WriteDocumentAsync(document, requests, manifest, cancellationToken).ConfigureAwait(false);
                    reason = n == 0 ? "no text (a scanned PDF needs OCR first)" : null;
                    chunks += n;
                }
                catch (OperationCanceledException)
                {
                    throw;
                }
                catch (DocumentUnreadableException ex)
                {
                    reason = ex.Message;
                }
                catch (Exception ex)
                {
                    // Whatever a reader throws on a malformed file, the other files go on.
                    reason = $"could not be read: {ex.Message}";
                }

                if (reason is null)
                {
                    documents++;
                    continue;
                }

                await Rollback(requests, requestsMark, cancellationToken).ConfigureAwait(false);
                await Rollback(manifest, manifestMark, cancellationToken).ConfigureAwait(false);
                writer.WriteSkipped(manifest, document.RelativePath, reason);
                skippedCount++;
                if (skipped.Count < MaxListedSkips)
                {
                    skipped.Add(new SkippedDocument(document.RelativePath, reason));
                }
            }
        }

        if (documents == 0)
        {
            File.Delete(requestsTemp);
            File.Delete(manifestTemp);
            var why = skipped.Count == 0 ? "it holds no documents" : $"no document could be read ({skipped[0].Path}: {skipped[0].Reason})";
            throw new BatchInputException(new BatchInputError(input, 0, "", why));
        }

        var stale = await RequestFileSync.ReplaceAsync(requestsTemp, requestsPath, options.OutputPath, cancellationToken).ConfigureAwait(false);
        File.Move(manifestTemp, manifestPath, overwrite: true);
        return new DocumentPrepareReport
        {
            Documents = documents,
            Chunks = chunks,
            Skipped = skipped,
            SkippedCount = skippedCount,
            StaleResultsRemoved = stale,
            RequestsPath = requestsPath,
            ManifestPath = manifestPath,
        };
    }

    private static async Task Rollback(FileStream stream, long mark, CancellationToken cancellationToken)
    {
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        stream.SetLength(mark);
        stream.Position = mark;
    }

    private sealed class Writer(DocumentPrepareOptions options)
    {
        private readonly BatchInputConversionOptions _requests = options.Requests;
        private readonly PromptTemplate _template = PromptTemplate.Parse(options.Requests.Template);
        private readonly bool _countsChunks = PromptTemplate.Parse(options.Requests.Template).Placeholders.Contains("chunks");
        private readonly bool _chunked = options.Chunking.MaxTokens is not null;
        private readonly ArrayBufferWriter<byte> _buffer = new(1 << 14);
        private readonly BatchEndpointKind _endpoint = BatchLineParser.TryGetEndpoint(options.Requests.Url, out var e) ? e : BatchEndpointKind.ChatCompletions;

        public async Task<int> WriteDocumentAsync(DocumentFile document, Stream requests, Stream manifest, CancellationToken cancellationToken)
        {
            var total = -1;
            if (_countsChunks)
            {
                // {chunks} needs the count before the first request: keep a short document's chunks, count a long one first.
                var held = new List<TextChunk>();
                long chars = 0;
                var counted = 0;
                await foreach (var chunk in Chunks(document, cancellationToken).ConfigureAwait(false))
                {
                    counted++;
                    if (held is not null)
                    {
                        held.Add(chunk);
                        chars += chunk.Text.Length;
                        if (chars > BufferedChars)
                        {
                            held = null;
                        }
                    }
                }

                total = counted;
                if (held is not null)
                {
                    long length = 0;
                    foreach (var chunk in held)
                    {
                        await WriteChunkAsync(document, chunk, total, requests, manifest, cancellationToken).ConfigureAwait(false);
                        length = chunk.End;
                    }

                    await WriteEndAsync(document, held.Count, length, manifest, cancellationToken).ConfigureAwait(false);
                    return held.Count;
                }
            }

            var n = 0;
            long end = 0;
            await foreach (var chunk in Chunks(document, cancellationToken).ConfigureAwait(false))
            {
                await WriteChunkAsync(document, chunk, total, requests, manifest, cancellationToken).ConfigureAwait(false);
                n++;
                end = chunk.End;
            }

            if (n > 0)
            {
                await WriteEndAsync(document, n, end, manifest, cancellationToken).ConfigureAwait(false);
            }

            return n;
        }

        public void WriteSkipped(Stream manifest, string path, string reason)
        {
            _buffer.ResetWrittenCount();
            DocumentManifest.WriteSkipped(_buffer, path, reason);
            manifest.Write(_buffer.WrittenSpan);
        }

        private IAsyncEnumerable<TextChunk> Chunks(DocumentFile document, CancellationToken cancellationToken)
            => TextChunker.ChunkAsync(DocumentReader.ReadAsync(document.FullPath, cancellationToken), options.Chunking, cancellationToken);

        private async Task WriteChunkAsync(DocumentFile document, TextChunk chunk, int total, Stream requests, Stream manifest, CancellationToken cancellationToken)
        {
            var id = _chunked ? ChunkId(document.RelativePath, chunk.Index) : document.RelativePath;
            var prompt = _template.Render(name => name switch
            {
                "text" => chunk.Text,
                "path" => document.RelativePath,
                "chunk" => (chunk.Index + 1).ToString(CultureInfo.InvariantCulture),
                "chunks" => total.ToString(CultureInfo.InvariantCulture),
                "page" => chunk.Page?.ToString(CultureInfo.InvariantCulture) ?? "",
                _ => null,
            }, out _);
            var body = BatchInputConverter.BuildBody(_requests, _endpoint, prompt);
            _buffer.ResetWrittenCount();
            BatchInputConverter.WriteRequestLine(_buffer, new BatchRequest(id, _endpoint, _requests.Url, body, _requests.Model, _requests.MaxTokens, 0));
            await requests.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            _buffer.ResetWrittenCount();
            DocumentManifest.WriteChunk(_buffer, id, document.RelativePath, chunk);
            await manifest.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }

        private async Task WriteEndAsync(DocumentFile document, int chunks, long chars, Stream manifest, CancellationToken cancellationToken)
        {
            _buffer.ResetWrittenCount();
            DocumentManifest.WriteDocumentEnd(_buffer, document.RelativePath, chunks, chars);
            await manifest.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
    }
}

using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.RateLimiting;

namespace LlmBatch.BatchApi;

/// <summary>
/// Splits requests into batch input files within the provider's limits, in one pass: one file per endpoint and model
/// at a time, closed when the next line would pass the request count, the byte size or (embeddings) the input count.
/// Each line is written as <c>{"custom_id","method","url","body"}</c> with the body byte for byte; beside each file a
/// <see cref="ChunkMembers"/> sidecar lists its custom_ids and input lines. Prompt tokens are counted per file for the
/// enqueued-token limit.
/// </summary>
internal sealed class BatchSplitter(string workDirectory, BatchApiUrls urls, BatchFileLimits limits, string jobId, int defaultMaxOutputTokens)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The name a chunk is uploaded under.</summary>
    public static string UploadName(string jobId, int index) => string.Create(CultureInfo.InvariantCulture, $"llmbatch-{jobId}-{index:D4}.jsonl");

    /// <summary>Writes the chunk files; returns them in index order, starting at <paramref name="firstIndex"/>.</summary>
    public async Task<List<BatchChunkState>> SplitAsync(IAsyncEnumerable<BatchRequest> requests, int firstIndex, int submissions, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workDirectory);
        var open = new Dictionary<(BatchEndpointKind, string), Builder>();
        var done = new List<BatchChunkState>();
        var next = firstIndex;
        var line = new ArrayBufferWriter<byte>(4096);
        using var writer = new Utf8JsonWriter(line, WriterOptions);
        try
        {
            await foreach (var request in requests.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                line.ResetWrittenCount();
                writer.Reset(line);
                WriteLine(writer, request);
                line.GetSpan(1)[0] = (byte)'\n';
                line.Advance(1);
                var inputs = request.Endpoint == BatchEndpointKind.Embeddings ? EmbeddingInputs.Count(request.Body.Span) : 0;
                var key = (request.Endpoint, request.Model);
                if (open.TryGetValue(key, out var builder) && !builder.Fits(line.WrittenCount, inputs, limits))
                {
                    done.Add(await builder.CloseAsync().ConfigureAwait(false));
                    open.Remove(key);
                    builder = null;
                }

                if (builder is null)
                {
                    builder = new Builder(workDirectory, jobId, next++, request.Endpoint, request.Model);
                    open[key] = builder;
                }

                builder.Add(line.WrittenSpan, request, inputs, defaultMaxOutputTokens);
            }

            foreach (var builder in open.Values)
            {
                done.Add(await builder.CloseAsync().ConfigureAwait(false));
            }
        }
        finally
        {
            foreach (var builder in open.Values)
            {
                await builder.DisposeAsync().ConfigureAwait(false);
            }
        }

        done.Sort((a, b) => a.Index.CompareTo(b.Index));
        foreach (var chunk in done)
        {
            chunk.Submissions = submissions;
        }

        return done;
    }

    private void WriteLine(Utf8JsonWriter w, BatchRequest request)
    {
        w.WriteStartObject();
        w.WriteString("custom_id"u8, request.CustomId);
        w.WriteString("method"u8, "POST"u8);
        w.WriteString("url"u8, urls.LineUrl(request.Endpoint));
        w.WritePropertyName("body"u8);
        w.WriteRawValue(request.Body.Span, skipInputValidation: true);
        w.WriteEndObject();
        w.Flush();
    }

    private sealed class Builder : IAsyncDisposable
    {
        private readonly FileStream _lines;
        private readonly FileStream _members;
        private readonly BatchChunkState _chunk;
        private long _inputs;
        private bool _closed;

        public Builder(string directory, string jobId, int index, BatchEndpointKind kind, string model)
        {
            var file = string.Create(CultureInfo.InvariantCulture, $"chunk-{index:D4}.jsonl");
            var path = Path.Combine(directory, file);
            _lines = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
            _members = new FileStream(ChunkMembers.PathFor(path), FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
            _chunk = new BatchChunkState { Index = index, Kind = kind, Model = model, File = file, UploadName = UploadName(jobId, index) };
        }

        public bool Fits(int lineBytes, int inputs, BatchFileLimits limits) =>
            _chunk.Requests < limits.MaxRequests
            && _chunk.Bytes + lineBytes <= limits.MaxBytes
            && (_chunk.Kind != BatchEndpointKind.Embeddings || _inputs + inputs <= limits.MaxEmbeddingInputs);

        public void Add(ReadOnlySpan<byte> line, BatchRequest request, int inputs, int defaultMaxOutputTokens)
        {
            _lines.Write(line);
            ChunkMembers.Write(_members, CustomIdHash.Key(request.CustomId), request.LineNumber);
            _chunk.Requests++;
            _chunk.Bytes += line.Length;
            _chunk.PromptTokens += TokenCounter.Shared.CountPromptTokens(request);
            _chunk.CompletionTokens += request.Endpoint == BatchEndpointKind.Embeddings ? 0 : request.MaxOutputTokens ?? defaultMaxOutputTokens;
            _inputs += inputs;
        }

        public async Task<BatchChunkState> CloseAsync()
        {
            await DisposeAsync().ConfigureAwait(false);
            return _chunk;
        }

        public async ValueTask DisposeAsync()
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _lines.Flush(flushToDisk: true);
            _members.Flush(flushToDisk: true);
            await _lines.DisposeAsync().ConfigureAwait(false);
            await _members.DisposeAsync().ConfigureAwait(false);
        }
    }
}

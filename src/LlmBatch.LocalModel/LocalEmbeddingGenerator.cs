using System.Threading.Channels;
using Microsoft.Extensions.AI;

namespace LlmBatch.LocalModel;

/// <summary>
/// The embedded model behind <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>. Callers enqueue their inputs;
/// one worker thread drains the queue into model batches of up to <c>maxBatchSize</c> inputs, so that many
/// concurrent single-input requests from the engine cost one model invocation per batch, not one per input.
/// </summary>
internal sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly ISentenceEncoder _encoder;
    private readonly int _maxBatchSize;
    private readonly Channel<PendingInput> _queue;
    private readonly EmbeddingGeneratorMetadata _metadata;
    private readonly Lock _startLock = new();
    private Thread? _worker;
    private volatile bool _disposed;
    private long _invocations;

    public LocalEmbeddingGenerator(ISentenceEncoder encoder, int maxBatchSize)
    {
        _encoder = encoder;
        _maxBatchSize = maxBatchSize;
        _queue = Channel.CreateUnbounded<PendingInput>(new UnboundedChannelOptions { SingleReader = true });
        _metadata = new EmbeddingGeneratorMetadata("llmbatch-local", null, LocalModels.EmbeddingModelId, encoder.Dimensions);
    }

    /// <summary>Model invocations so far (for tests of coalescing and for diagnostics).</summary>
    public long Invocations => Interlocked.Read(ref _invocations);

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Whatever model the request named, the vectors are this model's, and every Embedding says so in its ModelId:
        // routing decides which requests come here (LocalModels.IsLocalModel, or every embeddings request when no
        // endpoint is configured).
        if (options?.Dimensions is { } dims && dims != _encoder.Dimensions)
        {
            throw InputError($"The embedded model {LocalModels.EmbeddingModelId} returns {_encoder.Dimensions} dimensions; {dims} were asked for.", null);
        }

        var texts = values as IReadOnlyList<string> ?? values.ToList();
        if (texts.Count == 0)
        {
            return [];
        }

        for (var i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null)
            {
                throw new ArgumentException($"Input {i} is null.", nameof(values));
            }
        }

        EnsureWorker();
        var request = new PendingRequest(texts.Count, cancellationToken);
        for (var i = 0; i < texts.Count; i++)
        {
            ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(new PendingInput(request, i, texts[i])), this);
        }

        float[][] vectors;
        await using (cancellationToken.Register(static r => ((PendingRequest)r!).Cancel(), request).ConfigureAwait(false))
        {
            vectors = await request.Completion.Task.ConfigureAwait(false);
        }

        var created = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Length);
        foreach (var v in vectors)
        {
            result.Add(new Embedding<float>(v) { ModelId = LocalModels.EmbeddingModelId, CreatedAt = created });
        }

        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            return _metadata;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _queue.Writer.TryComplete();
        // The worker finishes the batch under way and fails what is still queued; it is not joined, so that
        // disposing never blocks on a model invocation.
    }

    /// <summary>
    /// A problem with the input itself, which no retry can fix. An <see cref="HttpRequestException"/> with status 400
    /// is what the provider adapters turn into a 400 response, so the engine records it at once instead of retrying.
    /// </summary>
    private static HttpRequestException InputError(string message, Exception? inner)
        => new(message, inner, System.Net.HttpStatusCode.BadRequest);

    private void EnsureWorker()
    {
        if (_worker is not null)
        {
            return;
        }

        lock (_startLock)
        {
            if (_worker is null)
            {
                // A dedicated thread, not the thread pool: a model invocation blocks for tens of milliseconds and
                // the engine's own continuations need the pool's few threads on a 2-core machine.
                var thread = new Thread(Work) { IsBackground = true, Name = "llmbatch-local-embeddings" };
                thread.Start();
                _worker = thread;
            }
        }
    }

    private void Work()
    {
        var reader = _queue.Reader;
        var batch = new List<PendingInput>(_maxBatchSize);
        while (true)
        {
            batch.Clear();
            // Take whatever has queued up, at most a batch; no waiting to fill it: while the model runs, the next
            // batch accumulates by itself, and a lone request is not delayed.
            while (batch.Count < _maxBatchSize && reader.TryRead(out var input))
            {
                if (!input.Request.IsFinished)
                {
                    batch.Add(input);
                }
            }

            if (batch.Count == 0)
            {
                // Blocking this dedicated thread is the point; nothing else runs on it.
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    return;
                }

                continue;
            }

            if (_disposed)
            {
                foreach (var p in batch)
                {
                    p.Request.Fail(new ObjectDisposedException(nameof(LocalEmbeddingGenerator)));
                }

                continue;
            }

            EncodeBatch(batch);
        }
    }

    private void EncodeBatch(List<PendingInput> batch)
    {
        var texts = new string[batch.Count];
        for (var i = 0; i < texts.Length; i++)
        {
            texts[i] = batch[i].Text;
        }

        float[][] vectors;
        try
        {
            Interlocked.Increment(ref _invocations);
            vectors = _encoder.Encode(texts, CancellationToken.None);
        }
        catch (Exception) when (batch.Count > 1)
        {
            // One bad input must not fail the 31 others it happened to be batched with: encode them one by one.
            foreach (var p in batch)
            {
                EncodeBatch([p]);
            }

            return;
        }
        catch (Exception ex)
        {
            batch[0].Request.Fail(InputError($"The embedded model failed on this input: {ex.Message}", ex));
            return;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Request.Set(batch[i].Index, vectors[i]);
        }
    }

    private readonly record struct PendingInput(PendingRequest Request, int Index, string Text);

    /// <summary>One caller's request: its vectors fill in as the batches holding its inputs finish.</summary>
    private sealed class PendingRequest(int count, CancellationToken cancellationToken)
    {
        private readonly float[][] _vectors = new float[count][];
        private int _remaining = count;

        public TaskCompletionSource<float[][]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsFinished => Completion.Task.IsCompleted;

        public void Set(int index, float[] vector)
        {
            _vectors[index] = vector;
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                Completion.TrySetResult(_vectors);
            }
        }

        public void Fail(Exception ex) => Completion.TrySetException(ex);

        public void Cancel() => Completion.TrySetCanceled(cancellationToken);
    }
}

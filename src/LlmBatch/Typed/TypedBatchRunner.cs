using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Output;
using Microsoft.Extensions.AI;

namespace LlmBatch.Typed;

/// <summary>
/// A typed API over the byte-level engine: chat items (id, <see cref="ChatMessage"/>s, <see cref="ChatOptions"/>) in and
/// <see cref="ChatResponse"/>s out, or texts in and <see cref="Embedding{T}"/>s out. Each item is turned into the
/// OpenAI JSON body an input line would carry and run through the same <see cref="IBatchEngine"/> as the command line
/// (limits, retries, timeouts, packing, telemetry), its result line is appended to the same output file (the checkpoint),
/// and the answer is turned back into Microsoft.Extensions.AI types.
/// </summary>
/// <remarks>
/// Results arrive in completion order, one per item sent. A failed item is a <see cref="BatchItemResult{T}"/> with an
/// <see cref="BatchItemResult{T}.Error"/>; exceptions end the stream only when the whole run cannot go on (the provider
/// refused the credentials, the endpoint is unreachable, every request stalls), as on the command line, and what
/// finished before is in the output file. Cancelling the run's token stops it as Ctrl+C does: nothing new is sent,
/// requests on the wire may finish within <see cref="TypedBatchOptions.ShutdownGracePeriod"/> and are yielded, and a
/// rerun with the same output file sends only the rest. The engine runs one batch at a time, and so does the runner.
/// </remarks>
public sealed class TypedBatchRunner
{
    private const string ChatUrl = "/v1/chat/completions";
    private const string EmbeddingsUrl = "/v1/embeddings";

    private readonly IBatchEngine _engine;

    /// <summary>Creates a runner over an engine.</summary>
    /// <param name="engine">The engine, for example from <see cref="BatchEngineBuilder"/> or dependency injection.</param>
    /// <param name="options">Checkpoint, models and stop settings (default: no checkpoint).</param>
    /// <exception cref="BatchOptionsException">The options are invalid.</exception>
    public TypedBatchRunner(IBatchEngine engine, TypedBatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        options ??= new TypedBatchOptions();
        options.Validate();
        _engine = engine;
        Options = options;
    }

    /// <summary>The options, as given.</summary>
    public TypedBatchOptions Options { get; }

    /// <summary>Runs chat items.</summary>
    /// <param name="items">The items, read only as fast as the engine dispatches them.</param>
    /// <param name="cancellationToken">Stops the run gracefully (see the remarks of <see cref="TypedBatchRunner"/>).</param>
    /// <returns>One result per item this run sent or refused; items the checkpoint already holds yield none.</returns>
    /// <exception cref="BatchAuthenticationException">The provider refused the credentials before any success.</exception>
    public IAsyncEnumerable<BatchItemResult<ChatResponse>> RunChatAsync(IAsyncEnumerable<ChatBatchItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        return RunAsync(
            items,
            static item => item.Id,
            static (item, options) => BatchRequest.Create(item.Id, ChatUrl, ChatRequestWriter.Write(item.Messages, item.Options, options.ChatModel)),
            static result =>
            {
                var response = ChatCompletionReader.Read(result.ResponseBody);
                response.RawRepresentation = result;
                return response;
            },
            cancellationToken);
    }

    /// <summary>Runs embedding items: one text each (the engine packs several into one request when packing is on).</summary>
    /// <param name="items">The items, read only as fast as the engine dispatches them.</param>
    /// <param name="cancellationToken">Stops the run gracefully (see the remarks of <see cref="TypedBatchRunner"/>).</param>
    /// <returns>One result per item this run sent or refused; items the checkpoint already holds yield none.</returns>
    /// <exception cref="BatchAuthenticationException">The provider refused the credentials before any success.</exception>
    public IAsyncEnumerable<BatchItemResult<Embedding<float>>> RunEmbeddingsAsync(IAsyncEnumerable<EmbeddingBatchItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        return RunAsync(
            items,
            static item => item.Id,
            static (item, options) => BatchRequest.Create(item.Id, EmbeddingsUrl, EmbeddingRequestWriter.Write(item.Text, item.Options, options.EmbeddingModel)),
            static result =>
            {
                var embedding = EmbeddingResponseReader.Read(result.ResponseBody);
                embedding.CreatedAt = result.Stats.FinishedAt;
                return embedding;
            },
            cancellationToken);
    }

    /// <summary>A snapshot of the run under way (or the last one): the engine's progress, as the command line shows it.</summary>
    /// <returns>The snapshot.</returns>
    public BatchProgress GetProgress() => _engine.GetProgress();

    private async IAsyncEnumerable<BatchItemResult<T>> RunAsync<TItem, T>(
        IAsyncEnumerable<TItem> items,
        Func<TItem, string> idOf,
        Func<TItem, TypedBatchOptions, BatchRequest> toRequest,
        Func<BatchResult, T> read,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : class
    {
        var options = Options;
        var checkpoint = options.OutputPath is { } path
            ? await OutputCheckpoint.OpenAsync(path, options.RetryFailed, cancellationToken).ConfigureAwait(false)
            : null;
        options.Resumed?.Invoke(checkpoint?.Done ?? 0);

        // Items refused before sending are found by the engine's reader task; they wait here for the next yield.
        var refused = new ConcurrentQueue<BatchItemResult<T>>();
        using var abort = new CancellationTokenSource();
        using var stop = BatchJob.RegisterGracefulStop(_engine, abort, options.ShutdownGracePeriod, options.TimeProvider, cancellationToken);
        var writer = options.OutputPath is { } output ? BatchOutputWriter.Open(output, options.TimeProvider) : null;
        try
        {
            var pending = Pending(items, idOf, toRequest, checkpoint, refused, cancellationToken);
            var results = _engine.RunAsync(pending, abort.Token).GetAsyncEnumerator(abort.Token);
            await using (results.ConfigureAwait(false))
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await results.MoveNextAsync().ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        // Grace period over: what finished is written, the rest is sent by a rerun.
                        more = false;
                    }

                    while (refused.TryDequeue(out var failure))
                    {
                        yield return failure;
                    }

                    if (!more)
                    {
                        break;
                    }

                    var result = results.Current;
                    if (writer is not null)
                    {
                        await writer.WriteAsync(result, CancellationToken.None).ConfigureAwait(false);
                    }

                    yield return Convert(result, read);
                }
            }

            while (refused.TryDequeue(out var failure))
            {
                yield return failure;
            }
        }
        finally
        {
            if (writer is not null)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async IAsyncEnumerable<BatchRequest> Pending<TItem, T>(
        IAsyncEnumerable<TItem> items,
        Func<TItem, string> idOf,
        Func<TItem, TypedBatchOptions, BatchRequest> toRequest,
        OutputCheckpoint? checkpoint,
        ConcurrentQueue<BatchItemResult<T>> refused,
        [EnumeratorCancellation] CancellationToken stop)
        where T : class
    {
        var seen = new CustomIdSet();
        await foreach (var item in items.WithCancellation(stop).ConfigureAwait(false))
        {
            if (stop.IsCancellationRequested)
            {
                yield break;
            }

            var id = idOf(item);
            if (id is not null && checkpoint is not null && checkpoint.IsDone(id))
            {
                continue;
            }

            if (id is not null && !seen.Add(CustomIdHash.Key(id)))
            {
                refused.Enqueue(Failed<T>(id, "duplicate_id", "an earlier item of this run has the same id; it was not sent."));
                continue;
            }

            BatchRequest request;
            try
            {
                request = toRequest(item, Options);
            }
            catch (Exception ex) when (ex is BatchInputException or ArgumentException or NotSupportedException or JsonException)
            {
                refused.Enqueue(Failed<T>(id ?? "", "invalid_request", ex.Message));
                continue;
            }

            yield return request;
        }
    }

    private static BatchItemResult<T> Convert<T>(BatchResult result, Func<BatchResult, T> read)
        where T : class
    {
        if (!result.IsSuccess)
        {
            return new BatchItemResult<T>
            {
                Id = result.CustomId,
                Error = result.Error ?? new BatchError($"http_{result.StatusCode}", "the provider answered with an error status."),
                Result = result,
            };
        }

        try
        {
            return new BatchItemResult<T> { Id = result.CustomId, Value = read(result), Result = result };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return new BatchItemResult<T> { Id = result.CustomId, Error = new BatchError("invalid_response", ex.Message), Result = result };
        }
    }

    private static BatchItemResult<T> Failed<T>(string id, string code, string message)
        where T : class =>
        new() { Id = id, Error = new BatchError(code, message) };
}

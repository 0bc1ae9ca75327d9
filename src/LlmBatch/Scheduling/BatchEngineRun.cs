using System.Runtime.CompilerServices;
using System.Threading.Channels;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch;

/// <summary>
/// One run of a <see cref="BatchEngine"/>: its state (<see cref="BatchRunState"/>), the bounded channel its items
/// write their results to, its abort, its stall watchdog and its dispatcher. The engine holds nothing per run, so
/// runs at once on one engine never mix counts, stops or errors.
/// </summary>
internal sealed class BatchEngineRun : IBatchRun
{
    private readonly BatchEngine _engine;
    private readonly Channel<BatchResult> _results;
    private readonly CancellationToken _cancellationToken;
    private readonly Func<BatchResult, ValueTask>? _sink;
    private readonly TaskCompletionSource<BatchProgress> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<IDisposable> _owned = new(3);
    private Task? _dispatcher;
    private Task? _ended;  // guarded by _owned
    private int _read;

    public BatchEngineRun(BatchEngine engine, long started, int capacity, Func<BatchResult, ValueTask>? sink, CancellationToken cancellationToken)
    {
        _engine = engine;
        _sink = sink;
        _cancellationToken = cancellationToken;
        State = new BatchRunState(started);
        Abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _results = Channel.CreateBounded<BatchResult>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Starts a run when the enumeration starts and reads it to the end: <see cref="IBatchEngine.RunAsync"/>.</summary>
    public static async IAsyncEnumerable<BatchResult> ReadToEndAsync(IBatchEngine engine, IAsyncEnumerable<BatchRequest> requests, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var run = engine.Start(requests, cancellationToken);
        await using (run.ConfigureAwait(false))
        {
            await foreach (var result in run.Results.ConfigureAwait(false))
            {
                yield return result;
            }
        }
    }

    /// <summary>The run's own state, carried by each of its calls.</summary>
    public BatchRunState State { get; }

    /// <summary>Cancelled to abandon the run: items on the wire yield nothing.</summary>
    public CancellationTokenSource Abort { get; }

    /// <summary>
    /// Hands one result on: to the consumer's own sink when it gave one (the output writer's queue, so a result goes
    /// through one channel on its way to the file), else to the run's channel that <see cref="Results"/> reads.
    /// </summary>
    public ValueTask DeliverAsync(BatchResult result) =>
        _sink is null ? _results.Writer.WriteAsync(result, CancellationToken.None) : _sink(result);

    /// <summary>Every item has delivered its result: <see cref="Results"/> ends once the last one is read.</summary>
    public void Complete() => _results.Writer.TryComplete();

    public IAsyncEnumerable<BatchResult> Results => ReadAsync();

    public Task<BatchProgress> Completion => _completion.Task;

    /// <summary>Starts the dispatcher; the watchdog and gauges are the run's and end with it.</summary>
    public void Launch(Func<BatchEngineRun, Task> dispatch, params IDisposable[] owned)
    {
        _owned.AddRange(owned);
        _dispatcher = Task.Run(() => dispatch(this), CancellationToken.None);
    }

    public BatchProgress GetProgress() => _engine.Progress(State);

    public void StopDispatch()
    {
        if (State.Stop())
        {
            _engine.Controller.StopAdmitting(State);
        }
    }

    /// <summary>Abandons the run from a timer or a failing item; a no-op once the run has ended.</summary>
    public void Cancel()
    {
        try
        {
            Abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run ended meanwhile.
        }
    }

    private async IAsyncEnumerable<BatchResult> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _read, 1) == 1)
        {
            throw new InvalidOperationException("The results of a run can be read once.");
        }

        using var registration = cancellationToken.UnsafeRegister(static s => ((BatchEngineRun)s!).Cancel(), this);
        var finished = false;
        try
        {
            // Results are read without the caller's token: items that completed before a cancellation still
            // reach the caller (and the output file) instead of being paid for and thrown away.
            while (await _results.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (_results.Reader.TryRead(out var result))
                {
                    yield return result;
                }
            }

            finished = true;
        }
        finally
        {
            if (!finished)
            {
                // The caller stopped reading: stop everything and let the dispatcher drain.
                Cancel();
            }

            await EndAsync().ConfigureAwait(false);
        }

        if (State.Fatal is { } fatal)
        {
            throw fatal;
        }

        _cancellationToken.ThrowIfCancellationRequested();
        cancellationToken.ThrowIfCancellationRequested();
    }

    public async ValueTask DisposeAsync()
    {
        // Disposed before its results were read to the end: abandon it. A run that has ended has nothing to abandon,
        // and its Abort is disposed: cancelling it would throw and catch, the first exception of every short run.
        Task? ended;
        lock (_owned)
        {
            ended = _ended;
        }

        if (ended is not { IsCompleted: true })
        {
            Cancel();
        }

        await EndAsync().ConfigureAwait(false);
    }

    private Task EndAsync()
    {
        lock (_owned)
        {
            return _ended ??= EndCoreAsync();
        }
    }

    private async Task EndCoreAsync()
    {
        // Drain whatever the items still write, so none of them waits on a full channel, then wait for the dispatcher.
        while (await _results.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (_results.Reader.TryRead(out _))
            {
            }
        }

        if (_dispatcher is not null)
        {
            await _dispatcher.ConfigureAwait(false);
        }

        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        var summary = GetProgress();
        _engine.Ended(this);
        Abort.Dispose();
        State.Dispose();
        if (State.Fatal is { } fatal)
        {
            _completion.TrySetException(fatal);
        }
        else if (_cancellationToken.IsCancellationRequested)
        {
            _completion.TrySetCanceled(_cancellationToken);
        }
        else
        {
            _completion.TrySetResult(summary);
        }
    }
}

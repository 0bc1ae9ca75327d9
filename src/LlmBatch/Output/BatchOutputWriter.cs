using System.Buffers;
using System.Threading.Channels;

namespace LlmBatch.Output;

/// <summary>
/// Appends result lines to the output file as items finish, for many concurrent producers.
/// Results go through a bounded channel to one loop that serialises everything available into one buffer and
/// hands it to the OS with one write, so a finished line reaches the page cache (and survives a kill -9) within
/// one drain. fsync, the expensive part, runs at most once per <see cref="DefaultFsyncInterval"/> on a timer and
/// on dispose, so durability against power loss does not cost throughput.
/// </summary>
internal sealed class BatchOutputWriter : IAsyncDisposable
{
    /// <summary>How often written data is forced to disk by default.</summary>
    public static readonly TimeSpan DefaultFsyncInterval = TimeSpan.FromSeconds(1);

    private const int MaxBytesPerWrite = 4 << 20;
    private const int InitialBufferSize = 64 << 10;

    private readonly OutputFileLock _fileLock;
    private readonly FileStream _stream;
    private readonly Channel<BatchResult> _channel;
    private readonly ITimer _timer;
    private readonly Lock _fsyncGate = new();
    private readonly Lock _waitersGate = new();
    private readonly List<(long Count, TaskCompletionSource Signal)> _waiters = [];
    private readonly Task _loop;
    private ArrayBufferWriter<byte> _buffer = new(InitialBufferSize);
    private long _lines;
    private long _fsyncs;
    private int _dirty;
    private int _disposed;
    private bool _closed;
    private volatile Exception? _fault;

    private BatchOutputWriter(string path, OutputFileLock fileLock, FileStream stream, TimeProvider timeProvider, TimeSpan fsyncInterval, int capacity)
    {
        Path = path;
        _fileLock = fileLock;
        _stream = stream;
        StartOffset = stream.Position;
        _channel = Channel.CreateBounded<BatchResult>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,

            // The loop waiting for results resumes on the producer's thread (the item that has just finished) rather
            // than as one more thread-pool work item per result; it is one loop, so lines still go out one drain at a time.
            AllowSynchronousContinuations = true,
        });
        _timer = timeProvider.CreateTimer(static s => ((BatchOutputWriter)s!).FsyncIfDirty(), this, fsyncInterval, fsyncInterval);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The output file.</summary>
    public string Path { get; }

    /// <summary>
    /// Told of each result as the writer's loop takes it (one thread, in write order), so a caller that hands results
    /// straight to <see cref="WriteAsync"/> from many producers can summarise them without a second queue. Set it
    /// before the first write.
    /// </summary>
    public Action<BatchResult>? Taken { get; set; }

    /// <summary>The file's length when it was opened: where this writer's first line goes.</summary>
    public long StartOffset { get; }

    /// <summary>Lines handed to the OS so far (visible to readers of the file, kept by a kill -9).</summary>
    public long LinesWritten => Interlocked.Read(ref _lines);

    /// <summary>How many times the file was forced to disk; for tests and diagnostics.</summary>
    public long FsyncCount => Interlocked.Read(ref _fsyncs);

    /// <summary>
    /// Opens <paramref name="path"/> for appending (creating it and its directory) and takes the run's lock on it.
    /// </summary>
    /// <param name="path">The output file.</param>
    /// <param name="timeProvider">The clock of the fsync timer; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="fsyncInterval">Longest time written lines stay only in the page cache; default 1 s.</param>
    /// <param name="capacity">Results that may wait for the writer before producers are held back.</param>
    /// <exception cref="IOException">Another run is writing the file (the message names it), or it cannot be opened.</exception>
    public static BatchOutputWriter Open(string path, TimeProvider? timeProvider = null, TimeSpan? fsyncInterval = null, int capacity = 4096)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var interval = fsyncInterval ?? DefaultFsyncInterval;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero, nameof(fsyncInterval));
        var fileLock = OutputFileLock.Acquire(path);
        try
        {
            // bufferSize 0: no user-space buffer, each drain is exactly one write syscall.
            var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
            return new BatchOutputWriter(path, fileLock, stream, timeProvider ?? TimeProvider.System, interval, capacity);
        }
        catch
        {
            fileLock.Dispose();
            throw;
        }
    }

    /// <summary>Queues one result; completes at once unless the queue is full.</summary>
    /// <exception cref="IOException">An earlier write failed (disk full, I/O error).</exception>
    public ValueTask WriteAsync(BatchResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (_fault is { } fault)
        {
            return ValueTask.FromException(Wrap(fault));
        }

        return _channel.Writer.TryWrite(result) ? default : WriteSlowAsync(result, cancellationToken);
    }

    /// <summary>Completes once at least <paramref name="count"/> lines have been handed to the OS.</summary>
    /// <exception cref="IOException">Writing failed before that many lines were written.</exception>
    public Task WaitForLinesAsync(long count, CancellationToken cancellationToken)
    {
        TaskCompletionSource signal;
        lock (_waitersGate)
        {
            if (LinesWritten >= count)
            {
                return Task.CompletedTask;
            }

            if (_fault is { } fault)
            {
                return Task.FromException(Wrap(fault));
            }

            if (_closed)
            {
                return Task.FromException(new ObjectDisposedException(nameof(BatchOutputWriter)));
            }

            signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
        }

        return signal.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Writes every queued result, forces the file to disk, and releases the lock.</summary>
    /// <exception cref="IOException">A write or the final fsync failed.</exception>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _channel.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        await _timer.DisposeAsync().ConfigureAwait(false);
        lock (_fsyncGate)
        {
            _closed = true;
            try
            {
                if (_fault is null)
                {
                    _stream.Flush(flushToDisk: true);
                    Interlocked.Increment(ref _fsyncs);
                }
            }
            catch (Exception ex)
            {
                _fault ??= ex;
            }
            finally
            {
                _stream.Dispose();
                _fileLock.Dispose();
            }
        }

        lock (_waitersGate)
        {
            _closed = true;
            foreach (var (_, signal) in _waiters)
            {
                signal.TrySetException(_fault is { } f ? Wrap(f) : new ObjectDisposedException(nameof(BatchOutputWriter)));
            }

            _waiters.Clear();
        }

        if (_fault is { } fault)
        {
            throw Wrap(fault);
        }
    }

    private async ValueTask WriteSlowAsync(BatchResult result, CancellationToken cancellationToken)
    {
        try
        {
            await _channel.Writer.WriteAsync(result, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            if (_fault is { } fault)
            {
                throw Wrap(fault);
            }

            throw new ObjectDisposedException(nameof(BatchOutputWriter));
        }
    }

    private async Task RunAsync()
    {
        var reader = _channel.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                var buffer = _buffer;
                var count = 0;
                var taken = Taken;
                while (buffer.WrittenCount < MaxBytesPerWrite && reader.TryRead(out var result))
                {
                    ResultLineWriter.Write(buffer, result);
                    taken?.Invoke(result);
                    count++;
                }

                if (count == 0)
                {
                    continue;
                }

                _stream.Write(buffer.WrittenSpan);
                Volatile.Write(ref _dirty, 1);
                if (buffer.Capacity > MaxBytesPerWrite * 2)
                {
                    // One huge response grew the buffer; do not keep that memory for the rest of the run.
                    _buffer = new ArrayBufferWriter<byte>(InitialBufferSize);
                }
                else
                {
                    buffer.ResetWrittenCount();
                }

                Signal(Interlocked.Add(ref _lines, count));
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    private void FsyncIfDirty()
    {
        lock (_fsyncGate)
        {
            if (_closed || Interlocked.Exchange(ref _dirty, 0) == 0)
            {
                return;
            }

            try
            {
                // With no user-space buffer this is only fsync on the handle, safe beside the loop's writes.
                _stream.Flush(flushToDisk: true);
                Interlocked.Increment(ref _fsyncs);
            }
            catch (Exception ex)
            {
                Fail(ex);
            }
        }
    }

    private void Fail(Exception ex)
    {
        _fault ??= ex;
        _channel.Writer.TryComplete(ex);
        lock (_waitersGate)
        {
            foreach (var (_, signal) in _waiters)
            {
                signal.TrySetException(Wrap(ex));
            }

            _waiters.Clear();
        }
    }

    private void Signal(long total)
    {
        lock (_waitersGate)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Count <= total)
                {
                    _waiters[i].Signal.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private IOException Wrap(Exception fault) => new($"Writing results to {Path} failed: {fault.Message}", fault);
}

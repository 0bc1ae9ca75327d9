namespace LlmBatch.Results;

/// <summary>
/// Sorts more items than memory holds: items are buffered up to a byte budget, each full buffer is sorted and
/// spilled to a temporary file (a run), and the runs are read back in one k-way merge. More runs than
/// <c>fanIn</c> are first merged in groups, so the open files and their read buffers stay bounded too. Memory is
/// the budget plus one item and one buffer per run being written or read, whatever the count. The comparison must be a total
/// order (ties broken by a unique sequence): the merge is then deterministic and equal to an in-memory sort.
/// Run files are created delete-on-close in <c>directory</c> (and unlinked at once where the OS allows), so they
/// vanish when the sorter is disposed, and on Linux and macOS even when the process is killed.
/// </summary>
internal sealed class ExternalSorter<T> : IDisposable
{
    private const int FileBufferSize = 1 << 16;

    private readonly Comparison<T> _comparison;
    private readonly Action<BinaryWriter, T> _write;
    private readonly Func<BinaryReader, T> _read;
    private readonly Func<T, long> _size;
    private readonly string _directory;
    private readonly long _budget;
    private readonly int _fanIn;
    private readonly List<T> _buffer = [];
    private readonly List<Run> _runs = [];
    private long _buffered;
    private bool _sorted;

    public ExternalSorter(Comparison<T> comparison, Action<BinaryWriter, T> write, Func<BinaryReader, T> read, Func<T, long> size, string directory, long budgetBytes, int fanIn)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fanIn, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(budgetBytes, 1);
        _comparison = comparison;
        _write = write;
        _read = read;
        _size = size;
        _directory = directory;
        _budget = budgetBytes;
        _fanIn = fanIn;
    }

    /// <summary>Items added.</summary>
    public long Count { get; private set; }

    /// <summary>Runs spilled to disk so far (0 when everything fitted in the budget).</summary>
    public int SpilledRuns { get; private set; }

    public void Add(T item)
    {
        if (_sorted)
        {
            throw new InvalidOperationException("The sorter has already been read.");
        }

        _buffer.Add(item);
        Count++;
        _buffered += _size(item);
        if (_buffered >= _budget)
        {
            Spill();
        }
    }

    /// <summary>Every item added, in order; readable once.</summary>
    public IEnumerable<T> Sorted()
    {
        if (_sorted)
        {
            throw new InvalidOperationException("The sorter has already been read.");
        }

        _sorted = true;
        if (_runs.Count == 0)
        {
            // Everything fitted: no file at all.
            _buffer.Sort(_comparison);
            return _buffer;
        }

        if (_buffer.Count > 0)
        {
            Spill();
        }

        while (_runs.Count > _fanIn)
        {
            // Merge removes the group from _runs (and deletes its files) once read.
            var group = _runs.GetRange(0, _fanIn);
            var merged = NewRun();
            foreach (var item in Merge(group))
            {
                merged.Append(item, _write);
            }

            merged.EndWriting();
            _runs.Add(merged);
        }

        return Merge([.. _runs]);
    }

    public void Dispose()
    {
        foreach (var run in _runs)
        {
            run.Dispose();
        }

        _runs.Clear();
        _buffer.Clear();
    }

    private void Spill()
    {
        _buffer.Sort(_comparison);
        var run = NewRun();
        foreach (var item in _buffer)
        {
            run.Append(item, _write);
        }

        run.EndWriting();
        _runs.Add(run);
        SpilledRuns++;
        _buffer.Clear();
        _buffered = 0;
        MemoryRelief.AfterBatch();
    }

    private Run NewRun()
    {
        var path = Path.Combine(_directory, $"run-{Guid.NewGuid():N}.bin");
        // Unbuffered (bufferSize 0): the run adds its own buffer only while it is written or read.
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.DeleteOnClose | FileOptions.SequentialScan);
        if (!OperatingSystem.IsWindows())
        {
            // Unlinked at once, the open handle keeps it: the run's space is freed even if the process is killed.
            File.Delete(path);
        }

        return new Run(stream);
    }

    private IEnumerable<T> Merge(List<Run> runs)
    {
        var comparer = Comparer<T>.Create(_comparison);
        var heap = new PriorityQueue<int, T>(runs.Count, comparer);
        try
        {
            for (var i = 0; i < runs.Count; i++)
            {
                if (runs[i].TryRead(_read, out var first))
                {
                    heap.Enqueue(i, first);
                }
            }

            while (heap.TryDequeue(out var i, out var item))
            {
                yield return item;
                if (runs[i].TryRead(_read, out var next))
                {
                    heap.Enqueue(i, next);
                }
            }
        }
        finally
        {
            foreach (var run in runs)
            {
                _runs.Remove(run);
                run.Dispose();
            }
        }
    }

    /// <summary>
    /// One sorted run: written once front to back, then read once front to back. The file itself is unbuffered; a
    /// buffer is held only while the run is written and while it is read, not while it waits for the merge: a 10 M-line
    /// merge spills hundreds of runs (thousands for wide vectors), and a 64 KB buffer kept by each would make memory
    /// grow with the line count. At most <c>fanIn</c> runs are read at once.
    /// </summary>
    private sealed class Run(FileStream stream) : IDisposable
    {
        private BinaryWriter? _writer;
        private BinaryReader? _reader;
        private long _count;

        public void Append(T item, Action<BinaryWriter, T> write)
        {
            _writer ??= new BinaryWriter(new BufferedStream(stream, FileBufferSize), System.Text.Encoding.UTF8, leaveOpen: true);
            write(_writer, item);
            _count++;
        }

        public void EndWriting()
        {
            // Flushes the buffer into the file; the writer and its buffer are then garbage.
            _writer?.Flush();
            _writer = null;
            stream.Position = 0;
        }

        public bool TryRead(Func<BinaryReader, T> read, out T item)
        {
            if (_count == 0)
            {
                item = default!;
                return false;
            }

            _count--;
            _reader ??= new BinaryReader(new BufferedStream(stream, FileBufferSize), System.Text.Encoding.UTF8, leaveOpen: true);
            item = read(_reader);
            return true;
        }

        public void Dispose()
        {
            _writer?.Dispose();
            _reader?.Dispose();
            stream.Dispose();
        }
    }
}

using LlmBatch.Input;
using LlmBatch.Output;
using Microsoft.Win32.SafeHandles;

namespace LlmBatch.Documents;

/// <summary>
/// Random access to the lines of a results file by custom_id: each line is indexed as (hash, offset, length), 24 bytes,
/// and read back from disk when asked for, so a document's chunk results can be gathered in input order from a file
/// written in completion order without holding it in memory.
/// </summary>
internal sealed class OutputIndex : IDisposable
{
    private readonly Entry[] _entries;
    private readonly SafeFileHandle? _file;
    private readonly string _path;

    private OutputIndex(string path, Entry[] entries, SafeFileHandle? file)
    {
        _path = path;
        _entries = entries;
        _file = file;
    }

    /// <summary>Indexes a results file; a missing file is an empty index.</summary>
    public static async Task<OutputIndex> OpenAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return new OutputIndex(path, [], null);
        }

        var entries = new List<Entry>();
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new JsonlLineReader(stream, path);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (OutputLineScanner.TryScan(reader.Line.Span, out var hash, out _))
                {
                    entries.Add(new Entry(hash, reader.ContentOffset, reader.Line.Length));
                }
            }
        }

        var sorted = entries.ToArray();
        Array.Sort(sorted, static (a, b) => a.Hash.CompareTo(b.Hash));
        return new OutputIndex(path, sorted, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
    }

    /// <summary>The result for a custom_id, or null when the file has no line for it.</summary>
    public BatchResult? Find(string customId)
    {
        var i = IndexOf(customId);
        return i < 0 ? null : Read(_entries[i], customId);
    }

    /// <summary>The raw line for a custom_id (without its line end), or null.</summary>
    public byte[]? FindLine(string customId)
    {
        var i = IndexOf(customId);
        return i < 0 ? null : ReadBytes(_entries[i]);
    }

    private int IndexOf(string customId) => Array.BinarySearch(_entries, new Entry(CustomIdHash.Key(customId), 0, 0), EntryComparer.Instance);

    public void Dispose() => _file?.Dispose();

    private BatchResult? Read(Entry entry, string customId)
    {
        var result = OutputLineParser.Parse(ReadBytes(entry), out var field, out var problem)
            ?? throw new BatchInputException(new BatchInputError(_path, 0, field, problem));
        return result.CustomId == customId ? result : null;
    }

    private byte[] ReadBytes(Entry entry)
    {
        var bytes = new byte[entry.Length];
        var done = 0;
        while (done < bytes.Length)
        {
            var n = RandomAccess.Read(_file!, bytes.AsSpan(done), entry.Offset + done);
            if (n == 0)
            {
                throw new IOException($"{_path} changed while it was being read.");
            }

            done += n;
        }

        return bytes;
    }

    private readonly record struct Entry(UInt128 Hash, long Offset, int Length);

    private sealed class EntryComparer : IComparer<Entry>
    {
        public static readonly EntryComparer Instance = new();

        public int Compare(Entry x, Entry y) => x.Hash.CompareTo(y.Hash);
    }
}

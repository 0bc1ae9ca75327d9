using LlmBatch.Output;
using LlmBatch.Results;
using Parquet;
using Parquet.Serialization;

namespace LlmBatch.Cli.Output;

/// <summary>
/// Writes a Parquet file one row group at a time: rows are buffered up to <c>rowGroupSize</c> rows or
/// <see cref="MaxGroupBytes"/>, whichever comes first, then appended as one group, so the file can hold any number
/// of rows while memory holds one group. The file appears at its path only when completed.
/// </summary>
internal sealed class ParquetRowGroupWriter<T>(string path, int rowGroupSize) : IAsyncDisposable
    where T : new()
{
    /// <summary>
    /// The most bytes of rows (as the caller counts them) a group holds: 8 MB. Parquet.Net builds a group's
    /// flattened values, levels, pages and compressed pages at once, several times the rows' size; at 16 MB a merge
    /// of 1,536-dimension vectors peaked above 300 MB.
    /// </summary>
    internal const long MaxGroupBytes = 8L << 20;

    private readonly List<T> _rows = new(Math.Min(rowGroupSize, 1 << 16));
    private AtomicFile? _file;
    private long _groupBytes;

    public string Path { get; } = path;

    public long Count { get; private set; }

    public int RowGroups { get; private set; }

    public async Task AddAsync(T row, long bytes, CancellationToken cancellationToken)
    {
        _rows.Add(row);
        Count++;
        _groupBytes += bytes;
        if (_rows.Count >= rowGroupSize || _groupBytes >= MaxGroupBytes)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the last group (an empty file still gets its schema) and puts the file in place.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_rows.Count > 0 || _file is null)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        await _file!.CommitAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_file is not null)
        {
            await _file.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        var append = _file is not null;
        // A unique temp file created exclusively, then renamed: a fixed name such as PREFIX.parquet.tmp could be a planted link.
        _file ??= AtomicFile.Begin(Path, throughLink: false, readable: true);
        await ParquetSerializer.SerializeAsync(_rows, _file.Stream, new ParquetOptions { Append = append, RowGroupSize = rowGroupSize }, cancellationToken: cancellationToken).ConfigureAwait(false);
        RowGroups++;
        _rows.Clear();
        _groupBytes = 0;
        MemoryRelief.AfterBatch();
    }
}

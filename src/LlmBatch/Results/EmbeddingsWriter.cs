using System.Globalization;
using System.Text;
using LlmBatch.Output;

namespace LlmBatch.Results;

/// <summary>
/// Writes the embeddings of a merge as they come in input order: <c>PREFIX.npy</c> (one row per vector) and
/// <c>PREFIX.ids.txt</c> (the id of each row), both opened at the first vector, so results without vectors
/// write neither. An item whose request embedded several inputs gives one row per input, named <c>id[0]</c>, <c>id[1]</c>…
/// </summary>
internal sealed class EmbeddingsWriter(string? prefix, bool includeLabels, IMergedRowSink? sink) : IAsyncDisposable
{
    private NpyWriter? _npy;
    private AtomicFile? _idsFile;
    private StreamWriter? _ids;

    public long Rows { get; private set; }

    /// <summary>The vectors' length; -1 before the first.</summary>
    public int Dimensions { get; private set; } = -1;

    /// <exception cref="InvalidOperationException">A vector's length differs from the earlier ones (the results mix models).</exception>
    public async ValueTask WriteAsync(MergeRow row, CancellationToken cancellationToken)
    {
        if (row.Vectors is null || row.ErrorCode is not null || (!includeLabels && row.IsLabel))
        {
            return;
        }

        for (var i = 0; i < row.Vectors.Length; i++)
        {
            var v = row.Vectors[i];
            if (Dimensions < 0)
            {
                Dimensions = v.Length;
                Open();
            }
            else if (v.Length != Dimensions)
            {
                throw new InvalidOperationException($"\"{row.CustomId}\" has a vector of {v.Length} values but earlier ones have {Dimensions}: the results mix models.");
            }

            var id = row.Vectors.Length == 1 ? row.CustomId : $"{row.CustomId}[{i.ToString(CultureInfo.InvariantCulture)}]";
            _npy?.WriteRow(v);
            _ids?.Write(id);
            _ids?.Write('\n');
            if (sink is not null)
            {
                await sink.WriteVectorAsync(id, v, cancellationToken).ConfigureAwait(false);
            }

            Rows++;
        }
    }

    /// <summary>Puts the files in place (when any vector came) and adds their paths to <paramref name="written"/>.</summary>
    public async Task CompleteAsync(List<string> written)
    {
        if (_npy is null || _ids is null || _idsFile is null)
        {
            return;
        }

        _npy.Complete();
        // The writer goes first (it leaves the stream open): disposed after the commit, it would flush into a closed file.
        await _ids.DisposeAsync().ConfigureAwait(false);
        _ids = null;
        await _idsFile.CommitAsync().ConfigureAwait(false);
        written.Add(prefix + ".npy");
        written.Add(prefix + ".ids.txt");
    }

    public async ValueTask DisposeAsync()
    {
        _npy?.Dispose();
        if (_ids is not null)
        {
            await _ids.DisposeAsync().ConfigureAwait(false);
        }

        if (_idsFile is not null)
        {
            await _idsFile.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Open()
    {
        if (prefix is null)
        {
            return;
        }

        _npy = new NpyWriter(prefix + ".npy", Dimensions);
        _idsFile = AtomicFile.Begin(prefix + ".ids.txt", throughLink: false);
        _ids = new StreamWriter(_idsFile.Stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
    }
}

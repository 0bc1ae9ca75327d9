using System.Globalization;
using System.Text;
using LlmBatch.Output;

namespace LlmBatch.Results;

/// <summary>
/// Writes <c>PREFIX.classes.csv</c> row by row in input order: each item's label, score, runner-up, gold label and
/// error code (the labels' own lines are not items and are left out). The file appears only when completed.
/// </summary>
internal sealed class ClassesCsvWriter : IAsyncDisposable
{
    private readonly AtomicFile _file;
    private readonly StreamWriter _writer;
    private readonly StringBuilder _line = new();
    private bool _writerClosed;

    public ClassesCsvWriter(string path)
    {
        Path = path;
        _file = AtomicFile.Begin(path, throughLink: false);
        _writer = new StreamWriter(_file.Stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
        _writer.Write("custom_id,label,score,runner_up,runner_up_score,gold,error_code\n");
    }

    public string Path { get; }

    public ValueTask WriteAsync(MergeRow row, CancellationToken cancellationToken)
    {
        if (row.IsLabel)
        {
            return ValueTask.CompletedTask;
        }

        var c = row.Classified;
        _line.Clear()
            .Append(CsvText.Field(row.CustomId)).Append(',')
            .Append(CsvText.Field(c?.Label ?? "")).Append(',')
            .Append(c?.Score?.ToString("0.######", CultureInfo.InvariantCulture)).Append(',')
            .Append(CsvText.Field(c?.RunnerUp ?? "")).Append(',')
            .Append(c?.RunnerUpScore?.ToString("0.######", CultureInfo.InvariantCulture)).Append(',')
            .Append(CsvText.Field(c?.Gold ?? row.Gold ?? "")).Append(',')
            .Append(CsvText.Field(row.ErrorCode ?? "")).Append('\n');
        return new ValueTask(_writer.WriteAsync(_line, cancellationToken));
    }

    public async Task CompleteAsync()
    {
        // The writer goes first (it leaves the stream open): disposed after the commit, it would flush into a closed file.
        await _writer.DisposeAsync().ConfigureAwait(false);
        _writerClosed = true;
        await _file.CommitAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_writerClosed)
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }

        await _file.DisposeAsync().ConfigureAwait(false);
    }
}

using System.Buffers;
using System.Text;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch.Results;

/// <summary>
/// Writes the merged text table row by row in input order: <c>PREFIX.merged.jsonl</c>
/// (<c>{"custom_id","content","finish_reason","error","metadata"}</c> per line) or <c>PREFIX.merged.csv</c>
/// (the same fields, then one column per metadata column). The file appears only when completed.
/// </summary>
internal sealed class MergedTextWriter : IAsyncDisposable
{
    private readonly AtomicFile _file;
    private readonly TextTableFormat _format;
    private readonly IReadOnlyList<string> _columns;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly StringBuilder _line = new();

    private MergedTextWriter(string path, TextTableFormat format, IReadOnlyList<string> columns)
    {
        Path = path;
        _format = format;
        _columns = columns;
        _file = AtomicFile.Begin(path, throughLink: false);
    }

    public string Path { get; }

    /// <summary>Creates <c>PREFIX.merged.jsonl</c> or <c>.csv</c>, with the CSV header already written.</summary>
    public static async Task<MergedTextWriter> CreateAsync(string prefix, TextTableFormat format, IReadOnlyList<string> metadataColumns, CancellationToken cancellationToken)
    {
        var writer = new MergedTextWriter(prefix + (format == TextTableFormat.Csv ? ".merged.csv" : ".merged.jsonl"), format, metadataColumns);
        if (format == TextTableFormat.Csv)
        {
            var header = new StringBuilder("custom_id,content,finish_reason,error_code,error_message");
            foreach (var c in metadataColumns)
            {
                header.Append(',').Append(CsvText.Field(c));
            }

            await writer._file.Stream.WriteAsync(Encoding.UTF8.GetBytes(header.Append('\n').ToString()), cancellationToken).ConfigureAwait(false);
        }

        return writer;
    }

    public async ValueTask WriteAsync(MergeRow row, CancellationToken cancellationToken)
    {
        if (_format == TextTableFormat.Csv)
        {
            var sb = _line.Clear();
            sb.Append(CsvText.Field(row.CustomId)).Append(',')
                .Append(CsvText.Field(row.ErrorCode is null ? row.Content ?? "" : "")).Append(',')
                .Append(CsvText.Field(row.FinishReason ?? "")).Append(',')
                .Append(CsvText.Field(row.ErrorCode ?? "")).Append(',')
                .Append(CsvText.Field(row.ErrorMessage ?? ""));
            foreach (var c in _columns)
            {
                sb.Append(',').Append(CsvText.Field(row.FindMetadata(c) ?? ""));
            }

            await _file.Stream.WriteAsync(Encoding.UTF8.GetBytes(sb.Append('\n').ToString()), cancellationToken).ConfigureAwait(false);
            return;
        }

        _buffer.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(_buffer, JsonFiles.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("custom_id"u8, row.CustomId);
            if (row.ErrorCode is null)
            {
                w.WriteString("content"u8, row.Content);
            }
            else
            {
                w.WriteNull("content"u8);
            }

            w.WriteString("finish_reason"u8, row.FinishReason);
            if (row.ErrorCode is null)
            {
                w.WriteNull("error"u8);
            }
            else
            {
                w.WriteStartObject("error"u8);
                w.WriteString("code"u8, row.ErrorCode);
                w.WriteString("message"u8, row.ErrorMessage);
                w.WriteEndObject();
            }

            w.WriteStartObject("metadata"u8);
            if (row.Metadata is { } meta)
            {
                foreach (var kv in meta)
                {
                    w.WriteString(kv.Key, kv.Value);
                }
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        _buffer.Write("\n"u8);
        await _file.Stream.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    public Task CompleteAsync() => _file.CommitAsync();

    public ValueTask DisposeAsync() => _file.DisposeAsync();
}

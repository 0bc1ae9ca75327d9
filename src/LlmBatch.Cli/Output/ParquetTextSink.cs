using System.Text.Json;
using LlmBatch.Results;

namespace LlmBatch.Cli.Output;

/// <summary>
/// Writes merged text results as <c>PREFIX.merged.parquet</c> during the merge's ordered pass, one row group at a
/// time: custom_id, status, content, finish_reason, error_code, error_message, the token counts and the metadata.
/// </summary>
internal sealed class ParquetTextSink(string path, int rowGroupSize = ParquetTextSink.RowGroupSize) : IMergedRowSink
{
    /// <summary>Rows per row group (a group is also cut at <see cref="ParquetRowGroupWriter{T}.MaxGroupBytes"/>).</summary>
    internal const int RowGroupSize = 65_536;

    private readonly ParquetRowGroupWriter<ParquetTextRow> _writer = new(path, rowGroupSize);

    /// <summary>The Parquet file written beside <c>PREFIX.merged.jsonl</c>.</summary>
    internal static string PathFor(string prefix) => prefix + ".merged.parquet";

    internal int RowGroups => _writer.RowGroups;

    public async ValueTask WriteRowAsync(MergeRow row, CancellationToken cancellationToken)
    {
        var failed = row.ErrorCode is not null;
        var text = new ParquetTextRow
        {
            CustomId = row.CustomId,
            Status = failed ? "failed" : "succeeded",
            Content = failed ? null : row.Content,
            FinishReason = row.FinishReason,
            ErrorCode = row.ErrorCode,
            ErrorMessage = row.ErrorMessage,
            PromptTokens = row.Usage.PromptTokens,
            CompletionTokens = row.Usage.CompletionTokens,
            TotalTokens = row.Usage.TotalTokens,
            Metadata = row.Metadata is { } meta ? MetadataJson(meta) : null,
        };
        var bytes = 128 + (2L * (row.CustomId.Length + (text.Content?.Length ?? 0) + (row.ErrorMessage?.Length ?? 0) + (text.Metadata?.Length ?? 0)));
        await _writer.AddAsync(text, bytes, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask WriteVectorAsync(string id, float[] vector, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public async ValueTask<string?> CompleteAsync(CancellationToken cancellationToken)
    {
        await _writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        return _writer.Path;
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    // A key given twice keeps its last value, as the merged JSONL's reader would.
    private static string MetadataJson(IReadOnlyList<KeyValuePair<string, string>> metadata)
    {
        var columns = new Dictionary<string, string>(metadata.Count, StringComparer.Ordinal);
        foreach (var kv in metadata)
        {
            columns[kv.Key] = kv.Value;
        }

        return JsonSerializer.Serialize(columns);
    }
}

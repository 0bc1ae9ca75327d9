using System.Text;
using System.Text.Json;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Cli.Output;
using LlmBatch.Output;
using LlmBatch.Results;
using Parquet;
using Parquet.Serialization;

namespace LlmBatch.Cli.Tests.Output;

public sealed class ParquetSinkTests : TempDirTest
{
    private static async IAsyncEnumerable<BatchResult> Results(int count, Func<int, string> body)
    {
        // In reverse: the merge puts them back in input order.
        for (var i = count; i >= 1; i--)
        {
            await Task.Yield();
            yield return new BatchResult
            {
                CustomId = $"id{i}",
                Id = $"batch_req_{i}",
                StatusCode = i % 5 == 0 ? 500 : 200,
                ResponseBody = i % 5 == 0 ? default : Encoding.UTF8.GetBytes(body(i)),
                Error = i % 5 == 0 ? new BatchError("http_500", "server error") : null,
                Stats = new BatchItemStats(),
                LineNumber = i,
            };
        }
    }

    private static string Chat(int i) =>
        JsonSerializer.Serialize(new { choices = new[] { new { index = 0, message = new { role = "assistant", content = $"answer {i}" }, finish_reason = "stop" } }, usage = new { prompt_tokens = i, completion_tokens = 2, total_tokens = i + 2 } });

    private static string Embedding(int i) => JsonSerializer.Serialize(new { data = new[] { new { index = 0, embedding = new[] { i, -i, 0.5f } } } });

    private static async Task<int> RowGroupsAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: TestContext.Current.CancellationToken);
        return reader.RowGroupCount;
    }

    [Fact]
    public async Task MergeAsync_TextWithSmallRowGroups_ParquetInInputOrderWithStatusTokensAndSeveralGroups()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = Path.Combine(Dir, "text");
        var options = new BatchMergeOptions { OutputPrefix = prefix, ExtraOutput = _ => new ParquetTextSink(ParquetTextSink.PathFor(prefix), rowGroupSize: 10) };

        var report = await BatchResultsMerger.MergeAsync(Results(35, Chat), options, ct);

        Assert.Equal([prefix + ".merged.jsonl", prefix + ".merged.parquet"], report.FilesWritten);
        Assert.Equal(4, await RowGroupsAsync(prefix + ".merged.parquet"));
        var rows = (await ParquetSerializer.DeserializeAsync<ParquetTextRow>(prefix + ".merged.parquet", cancellationToken: ct)).Data;
        Assert.Equal(Enumerable.Range(1, 35).Select(i => $"id{i}"), rows.Select(r => r.CustomId));
        Assert.Equal(("succeeded", "answer 1", "stop", 1L, 2L, 3L), (rows[0].Status, rows[0].Content, rows[0].FinishReason, rows[0].PromptTokens, rows[0].CompletionTokens, rows[0].TotalTokens));
        Assert.Equal(("failed", null, "http_500", "server error", null), (rows[4].Status, rows[4].Content, rows[4].ErrorCode, rows[4].ErrorMessage, rows[4].TotalTokens));
    }

    [Fact]
    public async Task MergeAsync_EmbeddingsWithSmallRowGroups_ParquetRowForRowWithTheNpy()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = Path.Combine(Dir, "emb");
        var options = new BatchMergeOptions { OutputPrefix = prefix, ExtraOutput = _ => new ParquetEmbeddingsSink(ParquetEmbeddingsFile.PathFor(prefix), rowGroupSize: 8) };

        var report = await BatchResultsMerger.MergeAsync(Results(30, Embedding), options, ct);

        Assert.Equal([prefix + ".npy", prefix + ".ids.txt", prefix + ".parquet"], report.FilesWritten);
        Assert.Equal(3, await RowGroupsAsync(prefix + ".parquet"));
        var rows = (await ParquetSerializer.DeserializeAsync<ParquetEmbeddingRow>(prefix + ".parquet", cancellationToken: ct)).Data;
        Assert.Equal(await File.ReadAllLinesAsync(prefix + ".ids.txt", ct), rows.Select(r => r.CustomId));
        await using var npy = File.OpenRead(prefix + ".npy");
        var (data, count, columns) = NpyFile.ReadFloat32(npy);
        Assert.Equal((24, 3), (count, columns));
        Assert.Equal(data, rows.SelectMany(r => r.Embedding));
    }

    [Fact]
    public async Task MergeAndPrintAsync_TextWithParquet_WritesAndPrintsTheTextParquet()
    {
        var prefix = Path.Combine(Dir, "out");
        var output = new StringWriter();

        await ResultsMerge.MergeAndPrintAsync(Results(3, Chat), new BatchMergeOptions { OutputPrefix = prefix }, parquet: true, output, TestContext.Current.CancellationToken);

        Assert.EndsWith($"Wrote {prefix}.merged.parquet{Environment.NewLine}", output.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(prefix + ".merged.parquet"));
    }
}

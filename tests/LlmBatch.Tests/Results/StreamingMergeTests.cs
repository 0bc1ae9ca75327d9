using System.Text;
using System.Text.Json;
using LlmBatch.Output;
using LlmBatch.Results;

namespace LlmBatch.Tests.Results;

/// <summary>
/// The merge at a scale the sort cannot hold: a tiny sort budget spills hundreds of runs and merges them in
/// groups, and every output must be byte for byte what the in-memory merge (one run, no file) writes.
/// </summary>
public class StreamingMergeTests
{
    private static BatchResult Result(string id, long line, string? body, string? error = null) => new()
    {
        CustomId = id,
        Id = "batch_req_" + id,
        StatusCode = error is null ? 200 : 500,
        ResponseBody = body is null ? default : Encoding.UTF8.GetBytes(body),
        Error = error is null ? null : new BatchError(error, $"failed with {error}"),
        Stats = new BatchItemStats(),
        LineNumber = line,
    };

    private static string Chat(string content) =>
        JsonSerializer.Serialize(new { choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } }, usage = new { prompt_tokens = 3, completion_tokens = 2, total_tokens = 5 } });

    private static string Embedding(float[] v) => JsonSerializer.Serialize(new { data = new[] { new { index = 0, embedding = v } } });

    private static async IAsyncEnumerable<BatchResult> Stream(IEnumerable<BatchResult> results)
    {
        foreach (var r in results)
        {
            await Task.Yield();
            yield return r;
        }
    }

    // 2,000 results in shuffled order: every 7th failed, every 50th a duplicate of an earlier id (a retry line),
    // every 97th a provider's line without an input line (those keep their reading order, last).
    private static List<BatchResult> Shuffled(Func<int, string> body)
    {
        var random = new Random(42);
        var list = new List<BatchResult>();
        for (var i = 1; i <= 2000; i++)
        {
            var line = i % 97 == 0 ? 0 : i;
            list.Add(i % 7 == 0 ? Result($"id{i}", line, null, "http_500") : Result($"id{i}", line, body(i)));
            if (i % 50 == 0)
            {
                list.Add(Result($"id{i / 2}", i / 2, body(i + 10_000)));
            }
        }

        return [.. list.OrderBy(_ => random.Next())];
    }

    private static async Task<(BatchMergeReport Report, Dictionary<string, byte[]> Files)> MergeAsync(List<BatchResult> results, string prefix, bool spill, BatchMergeKind kind = BatchMergeKind.Auto, string? metadata = null, TextTableFormat format = TextTableFormat.Jsonl)
    {
        var options = new BatchMergeOptions { OutputPrefix = prefix, Kind = kind, MetadataPath = metadata, TextFormat = format };
        if (spill)
        {
            options.SortBufferBytes = 4096;
            options.SortFanIn = 4;
            options.TempDirectory = Directory.CreateDirectory(prefix + ".sort").FullName;
        }

        var report = await BatchResultsMerger.MergeAsync(Stream(results), options, TestContext.Current.CancellationToken);
        if (spill)
        {
            // The runs and their directory are gone once the merge returns.
            Assert.Empty(Directory.GetFileSystemEntries(options.TempDirectory!));
        }
        return (report, report.FilesWritten.ToDictionary(f => Path.GetExtension(f), File.ReadAllBytes));
    }

    [Fact]
    public async Task MergeAsync_TextSpilledToManyRuns_SameBytesAsInMemoryAndInInputOrder()
    {
        using var dir = new TempDir();
        var results = Shuffled(i => Chat($"answer {i}"));

        var (inMemory, expected) = await MergeAsync(results, Path.Combine(dir.Path, "a"), spill: false);
        var (spilled, actual) = await MergeAsync(results, Path.Combine(dir.Path, "b"), spill: true);

        Assert.Equal(expected[".jsonl"], actual[".jsonl"]);
        Assert.Equal((inMemory.Total, inMemory.Failed), (spilled.Total, spilled.Failed));
        Assert.Equal(2040, spilled.Total);
        // The order: input line, then reading order for equal lines; lines without an input line last, as read.
        var order = results.Select((r, seq) => (r, seq)).OrderBy(x => x.r.LineNumber > 0 ? x.r.LineNumber : long.MaxValue).ThenBy(x => x.seq).Select(x => x.r.CustomId);
        var ids = Encoding.UTF8.GetString(actual[".jsonl"]).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString());
        Assert.Equal(order, ids);
    }

    [Fact]
    public async Task MergeAsync_TextWithMetadataSpilled_JoinedAndOrderedAsInMemory()
    {
        using var dir = new TempDir();
        var results = Shuffled(i => Chat($"answer {i}"));
        // Metadata in input order, with an id given twice (first line ranks it, last line's columns win) and ids without results.
        var meta = new StringBuilder();
        for (var i = 2500; i >= 1; i--)
        {
            meta.Append($"{{\"custom_id\":\"id{i}\",\"metadata\":{{\"n\":\"{i}\"}}}}\n");
        }

        meta.Append("{\"custom_id\":\"id5\",\"metadata\":{\"n\":\"five\",\"extra\":\"x\"}}\n");

        var metadata = Path.Combine(dir.Path, "m.metadata.jsonl");
        await File.WriteAllTextAsync(metadata, meta.ToString(), TestContext.Current.CancellationToken);

        var (_, expected) = await MergeAsync(results, Path.Combine(dir.Path, "a"), spill: false, metadata: metadata, format: TextTableFormat.Csv);
        var (_, actual) = await MergeAsync(results, Path.Combine(dir.Path, "b"), spill: true, metadata: metadata, format: TextTableFormat.Csv);

        Assert.Equal(expected[".csv"], actual[".csv"]);
        var lines = Encoding.UTF8.GetString(actual[".csv"]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("custom_id,content,finish_reason,error_code,error_message,n,extra", lines[0]);
        Assert.StartsWith("id2000,", lines[1], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("id5,answer 5,stop,,,five,x", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MergeAsync_EmbeddingsSpilled_SameNpyAndIdsAsInMemory()
    {
        using var dir = new TempDir();
        var results = Shuffled(i => Embedding([i, -i, i / 2f, 1f]));

        var (inMemory, expected) = await MergeAsync(results, Path.Combine(dir.Path, "a"), spill: true);
        var (spilled, actual) = await MergeAsync(results, Path.Combine(dir.Path, "b"), spill: false);

        Assert.Equal(expected[".npy"], actual[".npy"]);
        Assert.Equal(expected[".txt"], actual[".txt"]);
        Assert.Equal(inMemory.EmbeddingRows, spilled.EmbeddingRows);
        using var npy = new MemoryStream(actual[".npy"]);
        var (_, rows, columns) = NpyFile.ReadFloat32(npy);
        Assert.Equal((spilled.EmbeddingRows, 4), (rows, columns));
    }
}

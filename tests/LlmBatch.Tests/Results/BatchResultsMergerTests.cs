using System.Text;
using System.Text.Json;
using LlmBatch.Output;
using LlmBatch.Results;

namespace LlmBatch.Tests.Results;

public class BatchResultsMergerTests
{
    private static BatchResult Ok(string id, string body, long line = 0) => new()
    {
        CustomId = id,
        Id = "batch_req_" + id,
        StatusCode = 200,
        ResponseBody = Encoding.UTF8.GetBytes(body),
        Stats = new BatchItemStats(),
        LineNumber = line,
    };

    private static BatchResult Failed(string id, string code, int status, long line = 0) => new()
    {
        CustomId = id,
        Id = "batch_req_" + id,
        StatusCode = status,
        Error = new BatchError(code, $"failed with {code}"),
        Stats = new BatchItemStats(),
        LineNumber = line,
    };

    private static string Chat(string content, string finish = "stop")
        => JsonSerializer.Serialize(new { @object = "chat.completion", choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = finish } } });

    private static string Embedding(params float[][] vectors)
        => JsonSerializer.Serialize(new { @object = "list", data = vectors.Select((v, i) => new { @object = "embedding", index = i, embedding = v }).ToArray(), model = "m" });

    private static async IAsyncEnumerable<BatchResult> Stream(params BatchResult[] results)
    {
        foreach (var r in results)
        {
            await Task.Yield();
            yield return r;
        }
    }

    [Fact]
    public async Task MergeAsync_FileWithErrors_CountsSuccessesAndErrorsByKind()
    {
        var results = Stream(
            Ok("a", Chat("one"), 1),
            Failed("b", "http_429", 429, 2),
            Failed("c", "timeout", 0, 3),
            Failed("d", "http_429", 429, 4),
            Ok("e", "{\"unexpected\":true}", 5),
            Ok("f", Chat("six", "length"), 6));

        var report = await BatchResultsMerger.MergeAsync(results, new BatchMergeOptions(), TestContext.Current.CancellationToken);

        Assert.Equal(BatchMergeKind.Text, report.Kind);
        Assert.Equal(6, report.Total);
        Assert.Equal(2, report.Succeeded);
        Assert.Equal(4, report.Failed);
        Assert.Equal(
            [new("http_429", 2L), new("invalid_response", 1L), new("timeout", 1L)],
            report.ErrorsByKind);
        Assert.Empty(report.FilesWritten);
    }

    [Fact]
    public async Task MergeAsync_Text_InInputOrderWithContentFinishReasonAndMetadata()
    {
        using var dir = new TempDir();
        var meta = dir.File("requests.metadata.jsonl",
            "{\"custom_id\":\"x1\",\"metadata\":{\"lang\":\"en\"}}\n{\"custom_id\":\"x2\",\"metadata\":{\"lang\":\"fr\"}}\n{\"custom_id\":\"x3\",\"metadata\":{\"lang\":\"de\"}}\n");
        var results = Stream(Ok("x3", Chat("three")), Failed("x2", "http_400", 400), Ok("x1", Chat("one, \"quoted\"", "length")));
        var options = new BatchMergeOptions { OutputPrefix = Path.Combine(dir.Path, "out"), MetadataPath = meta, TextFormat = TextTableFormat.Csv };

        var report = await BatchResultsMerger.MergeAsync(results, options, TestContext.Current.CancellationToken);

        var csv = File.ReadAllLines(Assert.Single(report.FilesWritten));
        Assert.Equal("custom_id,content,finish_reason,error_code,error_message,lang", csv[0]);
        Assert.Equal("x1,\"one, \"\"quoted\"\"\",length,,,en", csv[1]);
        Assert.Equal("x2,,,http_400,failed with http_400,fr", csv[2]);
        Assert.Equal("x3,three,stop,,,de", csv[3]);
    }

    [Fact]
    public async Task MergeAsync_TextJsonlWithoutMetadata_OrderedByInputLine()
    {
        using var dir = new TempDir();
        var results = Stream(Ok("b", Chat("B"), 2), Ok("c", Chat("C"), 3), Ok("a", Chat("A"), 1));

        var report = await BatchResultsMerger.MergeAsync(results, new BatchMergeOptions { OutputPrefix = Path.Combine(dir.Path, "out") }, TestContext.Current.CancellationToken);

        var lines = File.ReadAllLines(report.FilesWritten[0]);
        Assert.Equal(["A", "B", "C"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("content").GetString()));
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(lines[0]).RootElement.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task MergeAsync_Embeddings_NpyLoadsBackWithShapeValuesAndIds()
    {
        using var dir = new TempDir();
        var results = Stream(
            Ok("b", Embedding([0.5f, -1f, 2f]), 2),
            Failed("c", "http_500", 500, 3),
            Ok("a", Embedding([1f, 2f, 3f]), 1),
            Ok("d", Embedding([7f, 8f, 9f], [10f, 11f, 12f]), 4));
        var prefix = Path.Combine(dir.Path, "emb");

        var report = await BatchResultsMerger.MergeAsync(results, new BatchMergeOptions { OutputPrefix = prefix }, TestContext.Current.CancellationToken);

        Assert.Equal(BatchMergeKind.Embeddings, report.Kind);
        Assert.Equal((4L, 3), (report.EmbeddingRows, report.EmbeddingDimensions));
        Assert.Equal(1, report.Failed);
        using var npy = File.OpenRead(prefix + ".npy");
        var (data, rows, cols) = NpyFile.ReadFloat32(npy);
        Assert.Equal((4, 3), (rows, cols));
        Assert.Equal([1f, 2f, 3f, 0.5f, -1f, 2f, 7f, 8f, 9f, 10f, 11f, 12f], data);
        Assert.Equal(["a", "b", "d[0]", "d[1]"], File.ReadAllLines(prefix + ".ids.txt"));
    }

    [Fact]
    public async Task MergeAsync_Base64Embeddings_Decoded()
    {
        var bytes = new byte[8];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), 1.25f);
        BitConverter.TryWriteBytes(bytes.AsSpan(4, 4), -3f);
        var body = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":\"" + Convert.ToBase64String(bytes) + "\"}]}";
        using var dir = new TempDir();
        var prefix = Path.Combine(dir.Path, "e");

        await BatchResultsMerger.MergeAsync(Stream(Ok("a", body, 1)), new BatchMergeOptions { OutputPrefix = prefix }, TestContext.Current.CancellationToken);

        using var npy = File.OpenRead(prefix + ".npy");
        Assert.Equal([1.25f, -3f], NpyFile.ReadFloat32(npy).Data);
    }

    [Fact]
    public async Task MergeAsync_ClassificationByEmbeddings_NearestLabelAccuracyAndConfusion()
    {
        using var dir = new TempDir();
        var meta = dir.File("m.metadata.jsonl",
            "{\"custom_id\":\"i1\",\"metadata\":{\"gold\":\"pos\"}}\n{\"custom_id\":\"i2\",\"metadata\":{\"gold\":\"neg\"}}\n{\"custom_id\":\"i3\",\"metadata\":{\"gold\":\"neg\"}}\n{\"custom_id\":\"i4\",\"metadata\":{\"gold\":\"pos\"}}\n");
        var results = Stream(
            Ok("label:pos", Embedding([1f, 0f])),
            Ok("label:neg", Embedding([0f, 1f])),
            Ok("i1", Embedding([0.9f, 0.1f])),
            Ok("i2", Embedding([0.2f, 0.8f])),
            Ok("i3", Embedding([0.6f, 0.5f])),
            Failed("i4", "timeout", 0));
        var options = new BatchMergeOptions
        {
            Kind = BatchMergeKind.Classification,
            Labels = ["pos", "neg"],
            MetadataPath = meta,
            GoldColumn = "gold",
            OutputPrefix = Path.Combine(dir.Path, "cls"),
        };

        var report = await BatchResultsMerger.MergeAsync(results, options, TestContext.Current.CancellationToken);

        var c = report.Classification!;
        Assert.Equal(3, c.Classified);
        Assert.Equal(1, c.Failed);
        Assert.Equal([2L, 1L], c.Distribution.Select(d => d.Count));
        Assert.Equal(2.0 / 3, c.Accuracy!.Value, 9);
        Assert.Equal([1L, 0L], c.ConfusionMatrix![0]);
        Assert.Equal([1L, 1L], c.ConfusionMatrix[1]);
        Assert.Equal("i3", c.LeastConfident[0].CustomId);
        // Label vectors are references, not items: the matrix holds the three items only.
        Assert.Equal(3, report.EmbeddingRows);
        var classes = File.ReadAllLines(Path.Combine(dir.Path, "cls.classes.csv"));
        Assert.Equal("custom_id,label,score,runner_up,runner_up_score,gold,error_code", classes[0]);
        Assert.StartsWith("i1,pos,0.99", classes[1], StringComparison.Ordinal);
        Assert.Equal("i4,,,,,pos,timeout", classes[4]);
    }

    [Fact]
    public async Task MergeAsync_LabelEmbeddedAsSeveralPhrasings_ClassifiedByTheirMeanDirection()
    {
        // "pos" is two phrasings, one much longer than the other: the unit vectors are averaged, so the label points
        // at (1, 1) rather than towards its longest phrasing (which alone, or a plain sum, would put i1 nearer to "neg").
        var results = Stream(
            Ok("label:pos", Embedding([10f, 0f], [0f, 1f])),
            Ok("label:neg", Embedding([0.94f, 0.34f])),
            Ok("i1", Embedding([0.8f, 0.6f])));
        var options = new BatchMergeOptions { Kind = BatchMergeKind.Classification, Labels = ["pos", "neg"] };

        var report = await BatchResultsMerger.MergeAsync(results, options, TestContext.Current.CancellationToken);

        Assert.Equal("pos", report.Classification!.LeastConfident.Single().Label);
    }

    [Fact]
    public async Task MergeAsync_ClassificationByChat_AnswersValidatedInvalidCountedAsErrors()
    {
        var results = Stream(
            Ok("1", Chat("Positive.")),
            Ok("2", Chat("{\"label\":\"negative\"}")),
            Ok("3", Chat("I think it is neutral")),
            Ok("4", Chat("maybe positive or negative")),
            Ok("5", Chat("delighted")));
        var options = new BatchMergeOptions { Kind = BatchMergeKind.Classification, Labels = ["positive", "negative", "neutral"] };

        var report = await BatchResultsMerger.MergeAsync(results, options, TestContext.Current.CancellationToken);

        Assert.Equal(3, report.Classification!.Classified);
        Assert.Equal(2, report.Classification.Failed);
        Assert.Equal([new("invalid_label", 2L)], report.ErrorsByKind);
        Assert.Equal(3, report.Succeeded);
    }

    [Fact]
    public async Task MergeAsync_ClassificationMissingLabelVector_ClearError()
    {
        var results = Stream(Ok("label:pos", Embedding([1f, 0f])), Ok("i1", Embedding([1f, 0f])));
        var options = new BatchMergeOptions { Kind = BatchMergeKind.Classification, Labels = ["pos", "neg"] };

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => BatchResultsMerger.MergeAsync(results, options, TestContext.Current.CancellationToken));

        Assert.Contains("label:<label>", ex.Message, StringComparison.Ordinal);
        Assert.Contains("neg", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Invalid_AllProblemsListed()
    {
        var options = new BatchMergeOptions { Kind = BatchMergeKind.Classification, GoldColumn = "g", LeastConfidentCount = -1, MetadataPath = "/nope" };

        var ex = Assert.Throws<BatchOptionsException>(options.Validate);

        Assert.Equal(3, ex.Problems.Count);
    }
}

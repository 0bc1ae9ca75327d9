using System.Text;
using LlmBatch.Output;

namespace LlmBatch.Tests.Output;

public class OutputOrdererTests
{
    private static string InputLine(string id) =>
        $"{{\"custom_id\":\"{id}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{{\"model\":\"m\",\"messages\":[]}}}}";

    [Fact]
    public async Task SortByInputAsync_CompletionOrder_BecomesInputOrder()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        var input = dir.File("in.jsonl");
        var output = dir.File("out.jsonl");
        await File.WriteAllTextAsync(input, "\uFEFF" + string.Join("\r\n", new[] { "a", "b", "c", "d" }.Select(InputLine)) + "\r\n\r\n", ct);
        var big = "{\"text\":\"" + new string('y', 300_000) + "\"}";
        await File.WriteAllTextAsync(
            output,
            ResultFactory.Lines(ResultFactory.Success("c"), ResultFactory.Success("zz-extra"), ResultFactory.Failure("a"), ResultFactory.Success("d", big), ResultFactory.Success("b")),
            ct);
        var before = (await File.ReadAllLinesAsync(output, ct)).ToHashSet();

        await OutputOrderer.SortByInputAsync(output, input, ct);

        var ids = new List<string>();
        await foreach (var r in BatchOutputFile.ReadAsync(output, ct))
        {
            ids.Add(r.CustomId);
        }

        Assert.Equal(["a", "b", "c", "d", "zz-extra"], ids);
        Assert.Equal(before, (await File.ReadAllLinesAsync(output, ct)).ToHashSet());
        Assert.Equal(["in.jsonl", "out.jsonl"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task SortByInputAsync_MissingOutput_DoesNothing()
    {
        using var dir = new TempDir();
        var input = dir.File("in.jsonl");
        await File.WriteAllTextAsync(input, InputLine("a") + "\n", TestContext.Current.CancellationToken);

        await OutputOrderer.SortByInputAsync(dir.File("none.jsonl"), input, TestContext.Current.CancellationToken);

        Assert.False(File.Exists(dir.File("none.jsonl")));
    }

    [Fact]
    public async Task SortByInputAsync_UnicodeIds_MatchedByHash()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        var input = dir.File("in.jsonl");
        var output = dir.File("out.jsonl");
        string[] order = ["東京", "zoë", "🚀", "a\"b"];
        await File.WriteAllLinesAsync(input, order.Select(id => InputLine(id.Replace("\"", "\\\"", StringComparison.Ordinal))), new UTF8Encoding(false), ct);
        await File.WriteAllTextAsync(output, ResultFactory.Lines(order.Reverse().Select(id => ResultFactory.Success(id)).ToArray()), ct);

        await OutputOrderer.SortByInputAsync(output, input, ct);

        var ids = new List<string>();
        await foreach (var r in BatchOutputFile.ReadAsync(output, ct))
        {
            ids.Add(r.CustomId);
        }

        Assert.Equal(order, ids);
    }
}

using System.Text;
using System.Text.Json;
using LlmBatch.Input;

namespace LlmBatch.Tests.Input;

public class BatchInputConverterTests
{
    private static BatchInputConversionOptions Chat(string template = "Summarise in one sentence: {text}") => new()
    {
        Model = "gpt-4o-mini",
        Template = template,
    };

    internal static async Task<List<PreparedBatchItem>> ReadAll(string path, BatchInputConversionOptions options)
    {
        var list = new List<PreparedBatchItem>();
        await foreach (var item in BatchInputConverter.ReadAsync(path, options, TestContext.Current.CancellationToken))
        {
            list.Add(item);
        }

        return list;
    }

    private static string UserContent(BatchRequest r)
    {
        using var doc = JsonDocument.Parse(r.Body);
        var messages = doc.RootElement.GetProperty("messages");
        return messages[messages.GetArrayLength() - 1].GetProperty("content").GetString()!;
    }

    [Fact]
    public async Task ReadAsync_CsvWithQuotedCommasQuotesAndNewlines_ParsedExactly()
    {
        using var dir = new TempDir();
        var path = dir.File("in.csv", "id,text,label\r\nr1,\"Great, really \"\"great\"\" kettle\",positive\r\nr2,\"two\nlines\",neutral\r\n");

        var items = await ReadAll(path, Chat());

        Assert.Equal(2, items.Count);
        Assert.Equal("r1", items[0].Request.CustomId);
        Assert.Equal("Great, really \"great\" kettle", items[0].Text);
        Assert.Equal("Summarise in one sentence: Great, really \"great\" kettle", UserContent(items[0].Request));
        Assert.Equal("two\nlines", items[1].Text);
        Assert.Equal([new KeyValuePair<string, string>("label", "neutral")], items[1].Metadata);
        Assert.Equal(BatchEndpointKind.ChatCompletions, items[0].Request.Endpoint);
        Assert.Equal("gpt-4o-mini", items[0].Request.Model);
        Assert.Equal(2, items[0].Request.LineNumber);
        Assert.Equal(3, items[1].Request.LineNumber);
    }

    [Fact]
    public async Task ReadAsync_MissingTextColumn_ErrorNamesColumnAndHeader()
    {
        using var dir = new TempDir();
        var path = dir.File("in.csv", "id,body\n1,hello\n");

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll(path, Chat()));

        var error = Assert.Single(ex.Errors);
        Assert.Equal(path, error.Path);
        Assert.Equal(1, error.Line);
        Assert.Equal("text", error.Field);
        Assert.Contains("id, body", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_EmptyLinesAndEmptyText_SkippedOrReportedWithLine()
    {
        using var dir = new TempDir();
        var path = dir.File("in.csv", "id,text\n\na,hello\n\nb,\nc,  \n");

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll(path, Chat()));

        Assert.Equal(2, ex.TotalErrors);
        Assert.Equal(5, ex.Errors[0].Line);
        Assert.Equal("text", ex.Errors[0].Field);
        Assert.Contains("is empty", ex.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(6, ex.Errors[1].Line);
        Assert.Contains($"{path}:5: text: is empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConvertFileAsync_BlankLines_SkippedAndCounted()
    {
        using var dir = new TempDir();
        var input = dir.File("in.txt", "first item\n\n   \nsecond item\n");
        var output = dir.File("requests.jsonl");

        var report = await BatchInputConverter.ConvertFileAsync(input, output, Chat("{text}"), TestContext.Current.CancellationToken);

        Assert.Equal(2, report.Items);
        Assert.Equal(2, report.BlankLinesSkipped);
        Assert.Null(report.MetadataPath);
        Assert.False(File.Exists(BatchInputConverter.MetadataPathFor(output)));
    }

    [Fact]
    public async Task ReadAsync_UnclosedQuote_ErrorAtLineWhereRecordStarts()
    {
        using var dir = new TempDir();
        var path = dir.File("in.csv", "id,text\na,fine\nb,\"never closed\nc,more\n");

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll(path, Chat()));

        var error = Assert.Single(ex.Errors);
        Assert.Equal(3, error.Line);
        Assert.Contains("never closed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_StrayQuoteAndWrongFieldCount_BothReported()
    {
        using var dir = new TempDir();
        var path = dir.File("in.csv", "id,text\na,say \"hi\"\nb,one,two\nc,ok\n");

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll(path, Chat()));

        Assert.Equal(2, ex.Errors.Count);
        Assert.Equal(2, ex.Errors[0].Line);
        Assert.Contains("quote inside an unquoted field", ex.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(3, ex.Errors[1].Line);
        Assert.Contains("3 fields but the header has 2", ex.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_DuplicateIdAndUnknownTemplateColumn_Reported()
    {
        using var dir = new TempDir();
        var path = dir.File("in.csv", "id,text\na,x\na,y\n");

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll(path, Chat("{text} in {language}")));

        Assert.Contains(ex.Errors, e => e.Field == "language" && e.Line == 2);
        Assert.Contains(ex.Errors, e => e.Field == "id" && e.Line == 3 && e.Message.Contains("earlier item", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReadAsync_JsonlFieldAndMetadata_EmbeddingsBody()
    {
        using var dir = new TempDir();
        var path = dir.File("in.jsonl", "{\"id\":\"a\",\"review\":\"nice\",\"stars\":5,\"lang\":\"en\"}\n\n{\"id\":\"b\",\"review\":\"bad\"}\n");
        var options = new BatchInputConversionOptions { TextColumn = "review", Url = "/v1/embeddings", Model = "local/all-MiniLM-L6-v2" };

        var items = await ReadAll(path, options);

        Assert.Equal(2, items.Count);
        Assert.Equal(BatchEndpointKind.Embeddings, items[0].Request.Endpoint);
        Assert.Equal("{\"model\":\"local/all-MiniLM-L6-v2\",\"input\":\"nice\"}", Encoding.UTF8.GetString(items[0].Request.Body.Span));
        Assert.Equal([new("stars", "5"), new("lang", "en")], items[0].Metadata);
        Assert.Empty(items[1].Metadata);
    }

    [Fact]
    public async Task ReadAsync_JsonlMissingFieldAndBadJson_ReportedWithLines()
    {
        using var dir = new TempDir();
        var path = dir.File("in.jsonl", "{\"text\":\"ok\"}\n{\"other\":1}\n{not json\n{\"text\":3}\n");

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll(path, Chat()));

        Assert.Equal(3, ex.Errors.Count);
        Assert.Equal((2L, "text"), (ex.Errors[0].Line, ex.Errors[0].Field));
        Assert.Contains("missing", ex.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(3, ex.Errors[1].Line);
        Assert.Contains("invalid JSON", ex.Errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("must be a string", ex.Errors[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_PlainTextWithoutIds_GeneratesItemIds()
    {
        using var dir = new TempDir();
        var path = dir.File("in.txt", "alpha\nbeta\n");

        var items = await ReadAll(path, Chat());

        Assert.Equal(["item-1", "item-2"], items.Select(i => i.Request.CustomId));
    }

    [Fact]
    public async Task ConvertFileAsync_Csv_WritesParseableBatchLinesAndMetadataSidecar()
    {
        using var dir = new TempDir();
        var input = dir.File("in.csv", "id,text,label\na,\"Hello, world\",positive\nb,Bye,negative\n");
        var output = dir.File("requests.jsonl");
        var options = Chat();
        options.SystemPrompt = "Be brief.";
        options.MaxTokens = 50;
        options.ExtraBody = "{\"temperature\":0}";

        var report = await BatchInputConverter.ConvertFileAsync(input, output, options, TestContext.Current.CancellationToken);

        Assert.Equal(2, report.Items);
        Assert.Equal(BatchInputConverter.MetadataPathFor(output), report.MetadataPath);
        var lines = File.ReadAllLines(output);
        Assert.Equal(2, lines.Length);
        var errors = new List<BatchInputError>();
        var parsed = BatchLineParser.ParseLine(Encoding.UTF8.GetBytes(lines[0]), output, 1, errors);
        Assert.Empty(errors);
        Assert.NotNull(parsed);
        Assert.Equal("a", parsed.CustomId);
        Assert.Equal(50, parsed.MaxOutputTokens);
        using var doc = JsonDocument.Parse(parsed.Body);
        Assert.Equal("system", doc.RootElement.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.Equal(0, doc.RootElement.GetProperty("temperature").GetInt32());
        var meta = File.ReadAllLines(report.MetadataPath!);
        Assert.Equal("{\"custom_id\":\"a\",\"metadata\":{\"label\":\"positive\"}}", meta[0]);
    }

    [Fact]
    public async Task ConvertFileAsync_BadInput_WritesNothing()
    {
        using var dir = new TempDir();
        var input = dir.File("in.csv", "id,text\na,\n");
        var output = dir.File("requests.jsonl");

        await Assert.ThrowsAsync<BatchInputException>(() => BatchInputConverter.ConvertFileAsync(input, output, Chat(), TestContext.Current.CancellationToken));

        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Validate_EveryProblem_ListedAtOnce()
    {
        var options = new BatchInputConversionOptions { Model = "", Url = "/v1/images", Template = "{", ExtraBody = "{\"model\":\"x\"}" };

        var ex = Assert.Throws<BatchOptionsException>(options.Validate);

        Assert.Equal(4, ex.Problems.Count);
    }

    [Fact]
    public async Task ReadAsync_MissingFile_ClearError()
    {
        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll("/nonexistent/in.csv", Chat()));
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }
}

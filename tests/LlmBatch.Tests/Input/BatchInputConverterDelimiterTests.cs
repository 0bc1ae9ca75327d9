using System.Text;
using LlmBatch.Input;

namespace LlmBatch.Tests.Input;

/// <summary>CSV with other separators (TSV, <c>;</c>, any single character), and the shared line rules on prepared inputs.</summary>
public class BatchInputConverterDelimiterTests
{
    private static BatchInputConversionOptions Options(char? delimiter = null) => new()
    {
        Model = "gpt-4o-mini",
        Delimiter = delimiter,
    };

    private static Task<List<PreparedBatchItem>> ReadAll(string path, BatchInputConversionOptions options) =>
        BatchInputConverterTests.ReadAll(path, options);

    [Fact]
    public async Task ReadAsync_TsvExtension_TabByDefaultAndCommasAreText()
    {
        using var dir = new TempDir();
        var path = dir.File("in.tsv", "id\ttext\tlang\r\na1\tHello, world\ten\r\na2\t\"quoted\ttab\"\tfr\r\n");

        var items = await ReadAll(path, Options());

        Assert.Equal(["a1", "a2"], items.Select(i => i.Request.CustomId));
        Assert.Equal(["Hello, world", "quoted\ttab"], items.Select(i => i.Text));
        Assert.Equal([new KeyValuePair<string, string>("lang", "fr")], items[1].Metadata);
    }

    [Theory]
    [InlineData(';')]
    [InlineData('|')]
    [InlineData('§')]
    public async Task ReadAsync_GivenDelimiter_SplitsOnItOnly(char delimiter)
    {
        using var dir = new TempDir();
        var d = delimiter.ToString();
        var path = dir.File("in.csv", $"id{d}text{d}price\nb1{d}\"a {d} b, c\"{d}1,50\nb2{d}two{d}3,00\n");

        var items = await ReadAll(path, Options(delimiter));

        Assert.Equal([$"a {d} b, c", "two"], items.Select(i => i.Text));
        Assert.Equal([new KeyValuePair<string, string>("price", "1,50")], items[0].Metadata);
    }

    [Fact]
    public async Task ReadAsync_WrongDelimiter_ErrorSaysWhichToGive()
    {
        using var dir = new TempDir();
        var path = dir.File("in.csv", "id;text\n1;hello\n");

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll(path, Options()));

        var error = Assert.Single(ex.Errors);
        Assert.Equal((path, 1L, "text"), (error.Path, error.Line, error.Field));
        Assert.Contains("--delimiter ';'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_BadQuoteInTsv_ErrorNamesFileLineAndColumn()
    {
        using var dir = new TempDir();
        var path = dir.File("in.tsv", "id\ttext\tnote\n1\tfine\tok\n2\tsaid \"hi\"\tok\n3\tfine\tbad\"\n");

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll(path, Options()));

        Assert.Equal([(path, 3L, "text"), (path, 4L, "note")], ex.Errors.Select(e => (e.Path, e.Line, e.Field)));
    }

    [Fact]
    public async Task ReadAsync_RowWithTooFewFields_ErrorNamesTheDelimiter()
    {
        using var dir = new TempDir();
        var path = dir.File("in.csv", "id;text;x\n1;a;b\n2;c\n");

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll(path, Options(';')));

        var error = Assert.Single(ex.Errors);
        Assert.Equal(3, error.Line);
        Assert.Contains("a semicolon must be in double quotes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_QuotedFieldOverCrlfLines_JoinedWithNewlineAndNumberedFromItsStart()
    {
        using var dir = new TempDir();
        var path = dir.File("in.csv", "\uFEFFid,text\r\n1,\"one\r\ntwo\r\nthree\"\r\n2,after\r\n");

        var items = await ReadAll(path, Options());

        Assert.Equal(["one\ntwo\nthree", "after"], items.Select(i => i.Text));
        Assert.Equal([2L, 5L], items.Select(i => i.Request.LineNumber));
    }

    [Fact]
    public async Task ReadAsync_UnclosedQuote_ErrorAtTheLineTheRecordStarts()
    {
        using var dir = new TempDir();
        var path = dir.File("in.csv", "id,text\n1,\"never closed\n2,x\n");

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll(path, Options()));

        var error = Assert.Single(ex.Errors);
        Assert.Equal((2L, "text"), (error.Line, error.Field));
        Assert.Contains("never closed", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("in.csv")]
    [InlineData("in.txt")]
    [InlineData("in.jsonl")]
    public async Task ReadAsync_InvalidUtf8Line_ErrorWithFileAndLineAndOtherLinesStillChecked(string name)
    {
        using var dir = new TempDir();
        var first = name.EndsWith(".jsonl", StringComparison.Ordinal) ? "{\"text\":\"ok\"}\n" : name.EndsWith(".csv", StringComparison.Ordinal) ? "text\nok\n" : "ok\n";
        var path = Path.Combine(dir.Path, name);
        await File.WriteAllBytesAsync(path, [.. Encoding.UTF8.GetBytes(first), 0x62, 0xC3, 0x28, 0x0A, .. Encoding.UTF8.GetBytes("\uFEFFtail\n")], TestContext.Current.CancellationToken);
        var bad = first.Count(c => c == '\n') + 1;

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll(path, Options()));

        Assert.Equal(2, ex.Errors.Count);
        Assert.Equal((path, (long)bad), (ex.Errors[0].Path, ex.Errors[0].Line));
        Assert.Contains("not valid UTF-8 (byte 0xC3 at position 2", ex.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(bad + 1, ex.Errors[1].Line);
        Assert.Contains("byte order mark", ex.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Utf16Text_ErrorSaysSaveAsUtf8()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "in.txt");
        await File.WriteAllBytesAsync(path, [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("hello\n")], TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll(path, Options()));

        Assert.Contains("UTF-16", ex.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(1, ex.Errors[0].Line);
    }

    [Theory]
    [InlineData('"')]
    [InlineData('\n')]
    public void Validate_QuoteOrLineBreakDelimiter_Rejected(char delimiter)
    {
        var ex = Assert.Throws<BatchOptionsException>(() => Options(delimiter).Validate());

        Assert.Contains("Delimiter", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(",", ',')]
    [InlineData(";", ';')]
    [InlineData("tab", '\t')]
    [InlineData("TAB", '\t')]
    [InlineData("\\t", '\t')]
    [InlineData("\t", '\t')]
    [InlineData("|", '|')]
    [InlineData("semicolon", ';')]
    public void TryParse_UserSpellings_TheCharacter(string text, char expected)
    {
        Assert.True(CsvDelimiter.TryParse(text, out var delimiter));
        Assert.Equal(expected, delimiter);
    }

    [Theory]
    [InlineData("")]
    [InlineData(",,")]
    [InlineData("\"")]
    [InlineData(null)]
    public void TryParse_NotOneCharacter_False(string? text)
    {
        Assert.False(CsvDelimiter.TryParse(text, out _));
    }
}

using System.Text;
using LlmBatch.Results;
using LlmBatch.Tests.Output;

namespace LlmBatch.Tests.Results;

/// <summary>Cells that a spreadsheet would run as formulas are written as text (OWASP's CSV injection advice).</summary>
public sealed class CsvInjectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("=HYPERLINK(\"http://evil\",\"x\")", "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"")]
    [InlineData("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1:A9)", "'@SUM(A1:A9)")]
    [InlineData("\t=1", "\"'\t=1\"")]
    [InlineData("\r=1", "\"'\r=1\"")]
    [InlineData("-3.5", "-3.5")]
    [InlineData("+12e3", "+12e3")]
    [InlineData("plain, text", "\"plain, text\"")]
    [InlineData("", "")]
    public void CsvField_FormulaStarts_Neutralised(string value, string expected) =>
        Assert.Equal(expected, CsvText.Field(value));

    [Fact]
    public async Task MergeAsync_CsvFromHostileContentIdsAndColumns_NoCellStartsAFormula()
    {
        using var dir = new TempDir();
        var metadata = dir.File("m.metadata.jsonl");
        await File.WriteAllTextAsync(metadata, """{"custom_id":"=id","metadata":{"=col":"@cell","n":"-1"}}""" + "\n", Ct);
        var results = new[] { ResultFactory.Success("=id", """{"choices":[{"message":{"content":"=1+1"},"finish_reason":"+stop"}]}""") };

        await BatchResultsMerger.MergeAsync(results.ToAsyncEnumerable(), new BatchMergeOptions { OutputPrefix = dir.File("m"), TextFormat = TextTableFormat.Csv, MetadataPath = metadata }, Ct);

        var lines = await File.ReadAllLinesAsync(dir.File("m.merged.csv"), Encoding.UTF8, Ct);
        Assert.Equal("custom_id,content,finish_reason,error_code,error_message,'=col,n", lines[0]);
        Assert.Equal("'=id,'=1+1,'+stop,,,'@cell,-1", lines[1]);
    }

    [Fact]
    public async Task MergeAsync_ClassesCsvWithHostileIdsAndLabels_NoCellStartsAFormula()
    {
        using var dir = new TempDir();
        var results = new[] { ResultFactory.Success("+id", """{"choices":[{"message":{"content":"-neg"}}]}""") };

        await BatchResultsMerger.MergeAsync(results.ToAsyncEnumerable(), new BatchMergeOptions { OutputPrefix = dir.File("m"), Kind = BatchMergeKind.Classification, Labels = ["-neg", "pos"] }, Ct);

        var lines = await File.ReadAllLinesAsync(dir.File("m.classes.csv"), Ct);
        Assert.StartsWith("'+id,'-neg,", lines[1], StringComparison.Ordinal);
    }
}

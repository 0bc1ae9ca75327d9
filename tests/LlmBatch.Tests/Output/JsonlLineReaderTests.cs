using System.Text;
using LlmBatch.Output;

namespace LlmBatch.Tests.Output;

/// <summary>The line rules every line-based file shares, on the one reader that applies them.</summary>
public class JsonlLineReaderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Seen(long Number, string Text, bool Terminated, JsonlLineProblem Problem, bool Blank, long LineOffset, long ContentOffset, long RawLength, long LineLength, string? Error);

    private static async Task<List<Seen>> ReadAllAsync(byte[] bytes, int maxLineBytes = JsonlLineReader.MaxLineBytes, int chunk = int.MaxValue)
    {
        using var stream = new TrickleStream(bytes, chunk);
        await using var reader = new JsonlLineReader(stream, "f.jsonl", maxLineBytes);
        var seen = new List<Seen>();
        while (await reader.ReadAsync(Ct))
        {
            seen.Add(new Seen(reader.LineNumber, Encoding.UTF8.GetString(reader.Line.Span), reader.Terminated, reader.Problem, reader.IsBlank,
                reader.LineOffset, reader.ContentOffset, reader.RawLength, reader.LineLength, reader.ProblemError()?.ToString()));
        }

        return seen;
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task ReadAsync_CrlfBlankAndUnterminatedLast_LinesWithoutLineEnds(int chunk)
    {
        var lines = await ReadAllAsync(Bytes("a\r\n\r\n  \t\nb\nlast"), chunk: chunk);

        Assert.Equal(["a", "", "  \t", "b", "last"], lines.Select(l => l.Text));
        Assert.Equal([false, true, true, false, false], lines.Select(l => l.Blank));
        Assert.Equal([true, true, true, true, false], lines.Select(l => l.Terminated));
        Assert.Equal([0L, 3, 5, 9, 11], lines.Select(l => l.LineOffset));
        Assert.Equal([3L, 2, 4, 2, 4], lines.Select(l => l.RawLength));
        Assert.All(lines, l => Assert.Equal(JsonlLineProblem.None, l.Problem));
    }

    [Fact]
    public async Task ReadAsync_LoneCrEndingLastLine_IsHalfALineEndNotContent()
    {
        var line = Assert.Single(await ReadAllAsync(Bytes("{}\r")));

        Assert.Equal("{}", line.Text);
        Assert.False(line.Terminated);
        Assert.Equal(3, line.RawLength);
    }

    [Fact]
    public async Task ReadAsync_Empty_NoLines()
    {
        Assert.Empty(await ReadAllAsync([]));
    }

    [Fact]
    public async Task ReadAsync_BomAtStartOfFile_LeftOutOfLineAndCountedInOffsets()
    {
        var lines = await ReadAllAsync(Bytes("\uFEFF{\"a\":1}\n{}\n"));

        Assert.Equal("{\"a\":1}", lines[0].Text);
        Assert.Equal(0, lines[0].LineOffset);
        Assert.Equal(3, lines[0].ContentOffset);
        Assert.Equal(7, lines[0].LineLength);
        Assert.Equal(11, lines[1].LineOffset);
        Assert.All(lines, l => Assert.Equal(JsonlLineProblem.None, l.Problem));
    }

    [Fact]
    public async Task ReadAsync_OnlyABom_OneBlankLine()
    {
        var line = Assert.Single(await ReadAllAsync(Bytes("\uFEFF")));

        Assert.True(line.Blank);
        Assert.Equal(JsonlLineProblem.None, line.Problem);
    }

    [Fact]
    public async Task ReadAsync_BomOnALaterLine_ReportedWithFileAndLine()
    {
        var lines = await ReadAllAsync(Bytes("{}\n\uFEFF{}\n{}\n"));

        Assert.Equal(JsonlLineProblem.ByteOrderMark, lines[1].Problem);
        Assert.False(lines[1].Blank);
        Assert.StartsWith("f.jsonl:2: ", lines[1].Error, StringComparison.Ordinal);
        Assert.Contains("byte order mark", lines[1].Error, StringComparison.Ordinal);
        Assert.Equal(JsonlLineProblem.None, lines[2].Problem);
    }

    [Fact]
    public async Task ReadAsync_InvalidUtf8_ReportedWithByteAndPosition()
    {
        var lines = await ReadAllAsync([.. Bytes("ok\nab"), 0xFF, .. Bytes("c\nok\n")]);

        Assert.Equal(JsonlLineProblem.InvalidUtf8, lines[1].Problem);
        Assert.Equal("f.jsonl:2: is not valid UTF-8 (byte 0xFF at position 3 of the line); save the file as UTF-8", lines[1].Error);
        Assert.Equal(JsonlLineProblem.None, lines[2].Problem);
    }

    [Fact]
    public async Task ReadAsync_Utf16File_ReportedAsUtf16()
    {
        var line = (await ReadAllAsync(Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("{}\n")).ToArray()))[0];

        Assert.Equal(JsonlLineProblem.InvalidUtf8, line.Problem);
        Assert.Contains("UTF-16", line.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(7)]
    public async Task ReadAsync_LineOverCap_SkippedWithItsLengthAndTheNextLineIntact(int chunk)
    {
        var longLine = new string('x', 1000);
        var lines = await ReadAllAsync(Bytes($"{new string('a', 16)}\r\n{longLine}\r\nafter\n{new string('b', 17)}"), maxLineBytes: 16, chunk: chunk);

        Assert.Equal(JsonlLineProblem.None, lines[0].Problem);
        Assert.Equal(new string('a', 16), lines[0].Text);
        Assert.Equal(JsonlLineProblem.TooLong, lines[1].Problem);
        Assert.Equal("", lines[1].Text);
        Assert.Equal(1000, lines[1].LineLength);
        Assert.Equal(18, lines[1].LineOffset);
        Assert.Equal(1002, lines[1].RawLength);
        Assert.Equal("f.jsonl:2: the line is 1,000 bytes, more than the limit of 16 bytes per line", lines[1].Error);
        Assert.Equal("after", lines[2].Text);
        Assert.Equal(1020, lines[2].LineOffset);
        Assert.Equal(JsonlLineProblem.TooLong, lines[3].Problem);
        Assert.False(lines[3].Terminated);
        Assert.Equal(17, lines[3].LineLength);
    }

    [Fact]
    public async Task ReadAsync_LinesLongerThanTheFirstBuffer_GrowAndKeepOffsets()
    {
        var big = new string('y', 300_000);
        var lines = await ReadAllAsync(Bytes($"s\n{big}\nt"));

        Assert.Equal(big, lines[1].Text);
        Assert.Equal(2, lines[1].LineOffset);
        Assert.Equal("t", lines[2].Text);
        Assert.Equal(300_003, lines[2].LineOffset);
    }

    [Fact]
    public async Task Open_MissingFile_InputErrorNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "llmbatch-missing-" + Guid.NewGuid().ToString("N") + ".jsonl");

        var ex = Assert.Throws<LlmBatch.Input.BatchInputException>(() => JsonlLineReader.Open(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("no such file", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Hands out at most <c>chunk</c> bytes per read, as a pipe or a slow disk may.</summary>
    private sealed class TrickleStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, chunk), cancellationToken);
    }
}

using LlmBatch.Cli.Terminal;

namespace LlmBatch.Cli.Tests.Terminal;

public sealed class TerminalTextTests
{
    [Theory]
    [InlineData("plain id-1 é 漢字 😀", "plain id-1 é 漢字 😀")]
    [InlineData("a\u001b[31mred", "a\\u001b[31mred")]
    [InlineData("bell\u0007", "bell\\u0007")]
    [InlineData("csi\u009b2J", "csi\\u009b2J")]
    [InlineData("del\u007f", "del\\u007f")]
    [InlineData("rtl\u202eevil\u2066", "rtl\\u202eevil\\u2066")]
    [InlineData("over\rwrite", "over\\u000dwrite")]
    [InlineData("two\nlines\tand tab\r\n", "two\nlines\tand tab\r\n")]
    public void Escape_ControlCharacters_MadeVisible(string text, string expected) =>
        Assert.Equal(expected, TerminalText.Escape(text));

    [Fact]
    public void Writer_EveryWritePath_Escapes()
    {
        var inner = new StringWriter();
        using var writer = new EscapingTextWriter(inner);

        writer.Write('\u001b');
        writer.Write("x\u001by");
        writer.Write("\u001b[0m".ToCharArray(), 0, 4);
        writer.WriteLine("end\u0007");
        writer.Write(12);

        Assert.Equal("\\u001bx\\u001by\\u001b[0mend\\u0007" + inner.NewLine + "12", inner.ToString());
    }
}

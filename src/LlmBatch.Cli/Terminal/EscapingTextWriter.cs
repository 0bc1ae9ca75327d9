using System.Text;

namespace LlmBatch.Cli.Terminal;

/// <summary>
/// Wraps stdout or stderr so that everything written through <see cref="Console"/> has its control characters escaped
/// (<see cref="TerminalText"/>): no message, however it quotes outside text, can send escape sequences to the terminal.
/// Output that must carry ANSI sequences (the live progress panel, coloured tables) goes to <see cref="TerminalOutput"/>'s
/// raw writers instead, with its outside text escaped where it is built.
/// </summary>
internal sealed class EscapingTextWriter(TextWriter inner) : TextWriter(inner.FormatProvider)
{
    public override Encoding Encoding => inner.Encoding;

    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string NewLine
    {
        get => inner.NewLine;
        set => inner.NewLine = value;
    }

    public override void Write(char value)
    {
        if (TerminalText.FirstUnsafe([value]) < 0)
        {
            inner.Write(value);
        }
        else
        {
            inner.Write(TerminalText.Escape([value]));
        }
    }

    public override void Write(string? value)
    {
        if (value is not null)
        {
            inner.Write(TerminalText.Escape(value));
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> buffer)
    {
        if (TerminalText.FirstUnsafe(buffer) < 0)
        {
            inner.Write(buffer);
        }
        else
        {
            inner.Write(TerminalText.Escape(buffer));
        }
    }

    public override void WriteLine() => inner.WriteLine();

    public override void WriteLine(string? value) => inner.WriteLine(value is null ? null : TerminalText.Escape(value));

    public override void Flush() => inner.Flush();

    public override Task FlushAsync() => inner.FlushAsync();
}

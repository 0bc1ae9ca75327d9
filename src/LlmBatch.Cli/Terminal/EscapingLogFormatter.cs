using System.Buffers;
using System.Text;
using ZLogger;

namespace LlmBatch.Cli.Terminal;

/// <summary>
/// ZLogger writes to the console streams directly, past <see cref="EscapingTextWriter"/>: each formatted entry is
/// escaped here instead, since a log message can quote a custom_id or a server's text.
/// </summary>
internal sealed class EscapingLogFormatter(IZLoggerFormatter inner) : IZLoggerFormatter
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    public bool WithLineBreak => inner.WithLineBreak;

    public void FormatLogEntry(IBufferWriter<byte> writer, IZLoggerEntry entry)
    {
        var scratch = t_scratch ??= new ArrayBufferWriter<byte>(256);
        scratch.ResetWrittenCount();
        inner.FormatLogEntry(scratch, entry);
        var text = Encoding.UTF8.GetString(scratch.WrittenSpan);
        var safe = TerminalText.Escape(text);
        Encoding.UTF8.GetBytes(safe, writer);
        if (scratch.Capacity > 64 * 1024)
        {
            t_scratch = null;
        }
    }
}

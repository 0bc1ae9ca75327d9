using Spectre.Console;

namespace LlmBatch.Cli.Terminal;

/// <summary>
/// The process's console streams. <see cref="Install"/> (called once by <c>Program</c>) puts an
/// <see cref="EscapingTextWriter"/> in front of stdout and stderr; <see cref="RawOut"/> and <see cref="RawError"/> keep
/// the originals for the few writers that send ANSI sequences on purpose. In-process callers (tests) that never install
/// it get the plain console.
/// </summary>
internal static class TerminalOutput
{
    private static TextWriter? s_rawOut;
    private static TextWriter? s_rawError;

    /// <summary>Stdout without escaping: only for output that builds its own escapes and escapes what it quotes.</summary>
    public static TextWriter RawOut => s_rawOut ?? Console.Out;

    /// <summary>Stderr without escaping: only for output that builds its own escapes and escapes what it quotes.</summary>
    public static TextWriter RawError => s_rawError ?? Console.Error;

    /// <summary>Escapes control characters in everything written through <see cref="Console"/> from now on.</summary>
    public static void Install()
    {
        s_rawOut = Console.Out;
        s_rawError = Console.Error;
        Console.SetOut(new EscapingTextWriter(s_rawOut));
        Console.SetError(new EscapingTextWriter(s_rawError));
    }

    /// <summary>
    /// A Spectre console on raw stdout, for coloured tables whose cells are escaped where they are built; plain (no
    /// escape sequence at all) when stdout is a file or a pipe.
    /// </summary>
    public static IAnsiConsole CreateOutConsole() => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(RawOut),
        Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
        ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
    });

    /// <summary>Escapes outside text for a Spectre markup string: terminal controls, then markup brackets.</summary>
    public static string Markup(string text) => Spectre.Console.Markup.Escape(TerminalText.Escape(text));
}

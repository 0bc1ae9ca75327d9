using Spectre.Console;
using Spectre.Console.Rendering;

namespace LlmBatch.Cli.Terminal;

/// <summary>
/// Spectre's console for help and usage text, created on first use. Creating it detects the terminal's capabilities
/// (about 6 ms of a one-item run's CPU), and a command that runs normally never writes through it.
/// </summary>
internal sealed class LazyAnsiConsole(Func<IAnsiConsole> create) : IAnsiConsole
{
    private readonly Lazy<IAnsiConsole> _console = new(create);

    public Profile Profile => _console.Value.Profile;

    public IAnsiConsoleCursor Cursor => _console.Value.Cursor;

    public IAnsiConsoleInput Input => _console.Value.Input;

    public IExclusivityMode ExclusivityMode => _console.Value.ExclusivityMode;

    public RenderPipeline Pipeline => _console.Value.Pipeline;

    public void Clear(bool home) => _console.Value.Clear(home);

    public void Write(IRenderable renderable) => _console.Value.Write(renderable);

    public void WriteAnsi(Action<AnsiWriter> action) => _console.Value.WriteAnsi(action);
}

using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LlmBatch.Cli.Progress;

/// <summary>
/// A live Spectre.Console panel on stderr, redrawn in place (no flicker) four times a second by its own loop from
/// <c>IBatchEngine.GetProgress</c>; the engine's path never waits on it. Its height never changes and nothing else
/// writes to the terminal while it is live (a stop request shows inside it), so each redraw lands exactly on the last.
/// </summary>
internal sealed class RichProgress : IProgressView
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(250);

    // Rates over the last few seconds: steady enough to read, recent enough to show a 429 pause.
    private const int RateWindowTicks = 20;
    private const int MaxWidth = 118;

    // Rows of per-part figures (each worker of a Redis job) at most: a job with more shows the rest as "+N more".
    private const int MaxPartRows = 8;

    private readonly Func<BatchProgress> _source;
    private readonly ProgressTotals _totals;
    private readonly IAnsiConsole _console;
    private readonly Func<long> _memory;
    private readonly Func<ProgressParts>? _parts;
    private readonly CancellationTokenSource _stop = new();
    private readonly Queue<BatchProgress> _window = new(RateWindowTicks + 1);
    private readonly Lock _render = new();
    private readonly Task _loop;
    private volatile string? _stopMessage;
    private int _partRows = 1;

    // parts: figures of each part shown one per row below the run's (each worker of a Redis job); null for none.
    public RichProgress(Func<BatchProgress> source, ProgressTotals totals, IAnsiConsole console, Func<long>? memory = null, Func<ProgressParts>? parts = null)
    {
        _parts = parts;
        _source = source;
        _totals = totals;
        _console = console;
        _memory = memory ?? (static () => Environment.WorkingSet);
        _loop = Task.Run(RunAsync);
    }

    public void Stopping(string message, bool immediately)
    {
        _stopMessage = message;
        if (!immediately)
        {
            return;
        }

        // The process exits right after: write below the panel between two redraws (not through Spectre, which would
        // redraw the panel after it) and give the terminal its cursor back.
        lock (_render)
        {
            var raw = Terminal.TerminalOutput.RawError;
            raw.Write("\n" + Terminal.TerminalText.Escape(message) + "\n\u001b[?25h");
            raw.Flush();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        await _console.Live(Render(Next(since: null), final: false)).AutoClear(false).StartAsync(async context =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(Refresh, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                Draw(context, final: false);
            }

            Draw(context, final: true);
        }).ConfigureAwait(false);
    }

    private void Draw(LiveDisplayContext context, bool final)
    {
        lock (_render)
        {
            // The last frame shows the run's average rates, not the tail's.
            context.UpdateTarget(Render(Next(since: final ? null : Oldest()), final));
        }
    }

    private BatchProgress? Oldest() => _window.Count == 0 ? null : _window.Peek();

    private ProgressSnapshot Next(BatchProgress? since)
    {
        var now = _source();
        var snapshot = ProgressSnapshot.From(now, since, _totals, _memory());
        _window.Enqueue(now);
        if (_window.Count > RateWindowTicks)
        {
            _window.Dequeue();
        }

        return snapshot;
    }

    private Panel Render(ProgressSnapshot s, bool final)
    {
        var p = s.Now;
        const int barWidth = 40;
        var filled = (int)Math.Round(s.Share * barWidth);
        var bar = $"[green]{new string('━', filled)}[/][grey]{new string('━', barWidth - filled)}[/]";
        var done = s.Total is { } total
            ? F($"{s.Done:#,0} / {total:#,0}  [bold]{s.Share * 100:0.0}%[/]")
            : F($"{s.Done:#,0} done");
        if (s.Resumed > 0)
        {
            done += F($"  [grey]({s.Resumed:#,0} from an earlier run)[/]");
        }

        var grid = Figures(
            _console.Profile.Width,
            F($"[green]ok[/] {p.Succeeded:#,0}"),
            F($"[red]failed[/] {p.Failed:#,0}"),
            F($"[yellow]429s[/] {p.RateLimited:#,0}"),
            F($"retries {p.Retries:#,0}"),
            F($"[blue]{s.RequestsPerMinute:#,0}[/] req/min{Markup.Escape(ProgressSnapshot.Limit(p.RequestsPerMinuteLimit))}"),
            F($"[blue]{s.TokensPerMinute:#,0}[/] tok/min{Markup.Escape(ProgressSnapshot.Limit(p.TokensPerMinuteLimit))}"),
            F($"in flight {p.InFlight:#,0}{Markup.Escape(ProgressSnapshot.Concurrency(p))}"),
            F($"waiting on limiter {p.WaitingOnLimiter:#,0}"),
            F($"goodput [green]{s.SucceededPerMinute:#,0}[/]/min"),
            "",
            "elapsed " + ProgressSnapshot.Clock(p.Elapsed),
            final || s.Eta is not { } eta ? "ETA —" : "ETA " + ProgressSnapshot.Clock(eta),
            "memory " + ProgressSnapshot.Megabytes(s.MemoryBytes),
            Markup.Escape(ProgressSnapshot.IntakePaused(p).TrimStart(',', ' ')),
            p.Cost is { } cost ? F($"[blue]spent[/] {Markup.Escape(Cli.Cost.RunCosts.Money(cost.Spent))}") : "spent —",
            s.ProjectedCost is { } projected ? F($"projected {Markup.Escape(Cli.Cost.RunCosts.Money(projected))}{(p.Cost?.MaxCost is { } cap ? Markup.Escape(" of cap " + Cli.Cost.RunCosts.Money(cap)) : "")}") : "projected —",
            F($"cached {p.AnsweredFromCache:#,0}"),
            F($"shared {p.SharedAnswers:#,0}"));
        var stopMessage = _stopMessage;
        var state = (final, stopMessage is not null) switch
        {
            (false, false) => "running",
            (false, true) => "[yellow]stopping[/]",
            (true, true) when s.Total is { } t && s.Done < t => "[yellow]stopped[/]",
            _ => "[green]finished[/]",
        };

        // Always one line, so the panel keeps its height (a taller redraw would leave the old bottom border behind).
        var status = (final, stopMessage, p.PausedUntil) switch
        {
            (true, _, _) => " ",
            (false, { }, _) => F($"[yellow]Stopping: no new items; finishing the {p.InFlight + p.WaitingOnLimiter:#,0} already started. Ctrl+C again quits; the same command resumes.[/]"),
            (false, null, { } until) => F($"[yellow]sending paused after a 429 until {until.ToLocalTime():HH:mm:ss}[/]"),
            _ => "[grey]Ctrl+C stops (items already started finish first); the same command resumes.[/]",
        };

        // Narrower than the terminal: an echoed ^C at the last column would wrap the cursor down a line and every
        // later redraw would land one line low.
        // Runs over several endpoints show each one's figures below the run's (their number never changes, nor the height).
        var rows = new List<IRenderable> { Cell(bar + "  " + done), grid };
        var endpoints = EndpointsText.Parts(p.Endpoints, s.EndpointRequestsPerMinute);
        if (endpoints.Cells.Count > 0)
        {
            rows.Add(Figures(_console.Profile.Width, [.. endpoints.Cells.Select(Markup.Escape)]));
        }

        if (_parts is not null)
        {
            rows.AddRange(PartRows(_parts()));
        }

        rows.Add(Cell(status));
        return new Panel(new Rows(rows))
        {
            Header = new PanelHeader(" llmbatch · " + state + " "),
            Border = BoxBorder.Rounded,
            Width = Math.Clamp(_console.Profile.Width - 4, 20, MaxWidth),
        };
    }

    // One row per part; their number only grows (up to MaxPartRows, the last one then counting the rest) so the panel
    // keeps its height while workers join and leave.
    private List<IRenderable> PartRows(ProgressParts parts)
    {
        var cells = parts.Cells;
        _partRows = Math.Max(_partRows, Math.Min(MaxPartRows, cells.Count));
        var rows = new List<IRenderable>(_partRows);
        for (var i = 0; i < _partRows; i++)
        {
            var text = i == _partRows - 1 && cells.Count > _partRows
                ? F($"[grey]+{cells.Count - i:#,0} more {Markup.Escape(parts.Label)}[/]")
                : i < cells.Count ? Markup.Escape(cells[i]) : " ";
            rows.Add(Cell(text));
        }

        return rows;
    }

    // Four columns where the terminal is wide enough, else two, else one: a cell too narrow for its text wraps, the
    // panel grows, and a redraw of another height leaves lines of the old one behind.
    private static Grid Figures(int terminalWidth, params string[] cells)
    {
        int[] widths = terminalWidth >= 4 + 118 ? [31, 35, 16, 0] : terminalWidth >= 4 + 72 ? [31, 0] : [0];
        var grid = new Grid();
        foreach (var width in widths)
        {
            var column = new GridColumn().NoWrap();
            grid.AddColumn(width > 0 ? column.Width(width) : column);
        }

        for (var i = 0; i < cells.Length; i += widths.Length)
        {
            grid.AddRow(cells.Skip(i).Take(widths.Length).Select(Cell).ToArray<IRenderable>());
        }

        return grid;
    }

    // Cut with an ellipsis rather than wrapped: a wrapped cell makes the panel taller, and a redraw of a different
    // height leaves lines of the old one behind.
    private static Markup Cell(string markup) => new(markup) { Overflow = Overflow.Ellipsis };

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

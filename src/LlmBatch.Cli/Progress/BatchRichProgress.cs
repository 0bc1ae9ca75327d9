using LlmBatch.BatchApi;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LlmBatch.Cli.Progress;

/// <summary>
/// Batch mode's live panel on stderr: overall progress, the plan's choice, one row per batch (status,
/// <c>request_counts</c>, ETA), the online part when there is one, and the last event. Rows never shrink during a run,
/// so a redraw lands on the last one (see <see cref="RichProgress"/>).
/// </summary>
internal sealed class BatchRichProgress : IProgressView
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(250);
    private const int MaxRows = 6;
    private const int MaxWidth = 118;

    private readonly Func<BatchApiProgress> _source;
    private readonly IAnsiConsole _console;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _render = new();
    private readonly Task _loop;
    private volatile string? _stopMessage;
    private int _rows = 1;

    public BatchRichProgress(Func<BatchApiProgress> source, IAnsiConsole console)
    {
        _source = source;
        _console = console;
        _loop = Task.Run(RunAsync);
    }

    public void Stopping(string message, bool immediately)
    {
        _stopMessage = message;
        if (immediately)
        {
            lock (_render)
            {
                Console.Error.Write("\n" + message + "\n\u001b[?25h");
                Console.Error.Flush();
            }
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
        await _console.Live(Render(_source(), final: false)).AutoClear(false).StartAsync(async context =>
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

                lock (_render)
                {
                    context.UpdateTarget(Render(_source(), final: false));
                }
            }

            lock (_render)
            {
                context.UpdateTarget(Render(_source(), final: true));
            }
        }).ConfigureAwait(false);
    }

    private Panel Render(BatchApiProgress p, bool final)
    {
        // Short enough that the bar and the figures fit an 80-column terminal on one line.
        const int barWidth = 24;
        var share = p.Total > 0 ? (double)BatchProgressText.Done(p) / p.Total : 0;
        var filled = (int)Math.Round(Math.Clamp(share, 0, 1) * barWidth);
        var rows = new List<IRenderable>
        {
            Cell($"[green]{new string('━', filled)}[/][grey]{new string('━', barWidth - filled)}[/]  {Markup.Escape(BatchProgressText.Overall(p))}"),
            Cell(Markup.Escape($"{p.Phase} · elapsed {ProgressSnapshot.Clock(p.Elapsed)} · {(final ? "ETA —" : BatchProgressText.Eta(p))}")),
        };
        if (p.Plan is { } plan)
        {
            rows.Add(Cell("[grey]plan:[/] " + Markup.Escape(plan.Reason)));
        }

        // Running chunks first, then the latest done; the row count only grows, so the panel never shrinks.
        var ordered = p.Chunks.Where(c => c.Phase != "done").Concat(p.Chunks.Where(c => c.Phase == "done").Reverse()).ToList();
        _rows = Math.Max(_rows, Math.Min(MaxRows, Math.Max(1, ordered.Count)));
        for (var i = 0; i < _rows; i++)
        {
            var text = i < ordered.Count ? BatchProgressText.Chunk(ordered[i]) + (ordered[i].Note is { } note && ordered[i].Phase != "done" ? " · " + note : "") : "";
            rows.Add(Cell(i == _rows - 1 && ordered.Count > _rows ? Markup.Escape($"+{ordered.Count - _rows + 1} more batch files") : Markup.Escape(text)));
        }

        rows.Add(Cell(p.Online is { } online ? Markup.Escape(BatchProgressText.Online(online)) : " "));
        rows.Add(Cell(p.RecentEvents.Count > 0 ? "[grey]" + Markup.Escape(p.RecentEvents[^1]) + "[/]" : " "));
        rows.Add(Cell(_stopMessage is not null && !final
            ? "[yellow]Stopping: batches keep running on the provider; the same command resumes them.[/]"
            : final ? " " : "[grey]Ctrl+C stops waiting (batches keep running on the provider); the same command resumes.[/]"));
        var state = final ? (_stopMessage is null ? "[green]finished[/]" : "[yellow]stopped[/]") : _stopMessage is null ? "running" : "[yellow]stopping[/]";
        return new Panel(new Rows(rows))
        {
            Header = new PanelHeader(" llmbatch · batch · " + state + " "),
            Border = BoxBorder.Rounded,
            Width = Math.Clamp(_console.Profile.Width - 4, 20, MaxWidth),
        };
    }

    private static Markup Cell(string markup) => new(markup) { Overflow = Overflow.Ellipsis };
}

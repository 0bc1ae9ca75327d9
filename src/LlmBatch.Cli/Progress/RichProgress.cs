using System.Globalization;
using Spectre.Console;

namespace LlmBatch.Cli.Progress;

/// <summary>
/// A live Spectre.Console panel on stderr, redrawn in place (no flicker) four times a second by its own loop; the
/// engine's path never waits on it.
/// </summary>
internal sealed class RichProgress : IAsyncDisposable
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(250);
    private readonly Func<BatchProgress> _source;
    private readonly long? _total;
    private readonly IAnsiConsole _console;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private BatchProgress? _previous;
    private ProgressSnapshot? _shown;

    public RichProgress(Func<BatchProgress> source, long? total, IAnsiConsole console)
    {
        _source = source;
        _total = total;
        _console = console;
        _loop = Task.Run(RunAsync);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        await _console.Live(Render(Next())).AutoClear(false).StartAsync(async context =>
        {
            var sinceRates = 0;
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

                // Rates over a second, not a quarter of one, so they do not jitter.
                context.UpdateTarget(Render(++sinceRates % 4 == 0 ? Next() : Peek()));
            }

            context.UpdateTarget(Render(Next()));
            context.Refresh();
        }).ConfigureAwait(false);
    }

    private ProgressSnapshot Next()
    {
        var now = _source();
        _shown = ProgressSnapshot.From(now, _previous, _total, Environment.WorkingSet);
        _previous = now;
        return _shown;
    }

    private ProgressSnapshot Peek()
    {
        var now = _source();
        return (_shown ?? Next()) with { Now = now, MemoryBytes = Environment.WorkingSet };
    }

    private static Panel Render(ProgressSnapshot s)
    {
        var p = s.Now;
        var share = s.Total is { } t && t > 0 ? Math.Clamp((double)p.Completed / t, 0, 1) : 0;
        const int width = 40;
        var filled = (int)Math.Round(share * width);
        var bar = $"[green]{new string('━', filled)}[/][grey]{new string('━', width - filled)}[/]";
        var done = s.Total is { } total
            ? string.Create(CultureInfo.InvariantCulture, $"{p.Completed:#,0} / {total:#,0}  [bold]{share * 100:0.0}%[/]")
            : string.Create(CultureInfo.InvariantCulture, $"{p.Completed:#,0} done");
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn(new GridColumn().NoWrap()).AddColumn(new GridColumn().NoWrap()).AddColumn(new GridColumn().NoWrap());
        grid.AddRow(
            new Markup(F($"[green]ok[/] {p.Succeeded:#,0}")),
            new Markup(F($"[red]failed[/] {p.Failed:#,0}")),
            new Markup(F($"[yellow]429s[/] {p.RateLimited:#,0}")),
            new Markup(F($"retries {p.Retries:#,0}")));
        grid.AddRow(
            new Markup(F($"[blue]{s.RequestsPerSecond * 60:#,0}[/] req/min{Markup.Escape(ProgressSnapshot.Limit(p.RequestsPerMinuteLimit, ""))}")),
            new Markup(F($"[blue]{s.TokensPerSecond * 60:#,0}[/] tok/min{Markup.Escape(ProgressSnapshot.Limit(p.TokensPerMinuteLimit, ""))}")),
            new Markup(F($"in flight {p.InFlight:#,0}")),
            new Markup(F($"waiting on limiter {p.WaitingOnLimiter:#,0}")));
        grid.AddRow(
            new Markup("elapsed " + ProgressSnapshot.Clock(p.Elapsed)),
            new Markup(s.Eta is { } eta ? "ETA " + ProgressSnapshot.Clock(eta) : "ETA —"),
            new Markup("memory " + ProgressSnapshot.Megabytes(s.MemoryBytes)),
            new Markup(p.PausedUntil is { } until ? F($"[yellow]paused after 429 until {until:HH:mm:ss}[/]") : ""));
        return new Panel(new Rows(new Markup(bar + "  " + done), grid)).Header("llmbatch").Border(BoxBorder.Rounded).Expand();
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

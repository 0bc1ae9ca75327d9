namespace LlmBatch.Cli.Progress;

/// <summary>
/// Writes one progress line every few seconds from its own timer, and a last one when disposed; nothing runs on the
/// engine's path. Used when the output is not an interactive terminal (Spectre.Console prints nothing there).
/// </summary>
internal sealed class PlainProgress : IProgressView
{
    private readonly Func<BatchProgress> _source;
    private readonly ProgressTotals _totals;
    private readonly TextWriter _out;
    private readonly Func<long> _memory;
    private readonly Func<ProgressParts>? _parts;
    private readonly ITimer _timer;
    private readonly Lock _lock = new();
    private BatchProgress? _previous;
    private bool _stopping;
    private bool _disposed;

    public PlainProgress(Func<BatchProgress> source, ProgressTotals totals, TextWriter output, TimeProvider timeProvider, TimeSpan interval, Func<long>? memory = null, Func<ProgressParts>? parts = null)
    {
        _parts = parts;
        _source = source;
        _totals = totals;
        _out = output;
        _memory = memory ?? (static () => Environment.WorkingSet);
        _timer = timeProvider.CreateTimer(_ => Tick(), null, interval, interval);
    }

    public void Stopping(string message, bool immediately)
    {
        lock (_lock)
        {
            _stopping = true;
            _out.WriteLine(message);
            _out.Flush();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync().ConfigureAwait(false);
        Tick(final: true);
    }

    private void Tick(bool final = false)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = final;
            var now = _source();
            var snapshot = ProgressSnapshot.From(now, _previous, _totals, _memory());
            _previous = now;
            var line = (final ? snapshot with { Eta = null } : snapshot).ToPlainLine() + (_parts?.Invoke().Plain() ?? "");
            _out.WriteLine(!final ? line : _stopping && snapshot.Done < snapshot.Total ? line + " | stopped" : line + " | finished");
            _out.Flush();
        }
    }
}

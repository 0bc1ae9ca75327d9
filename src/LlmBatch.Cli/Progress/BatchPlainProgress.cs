using LlmBatch.BatchApi;

namespace LlmBatch.Cli.Progress;

/// <summary>
/// Batch mode's plain progress: the plan once it is made, each event as it happens (a batch created, ended, refused),
/// and every few seconds one line with each running batch's status and <c>request_counts</c> and the ETA.
/// </summary>
internal sealed class BatchPlainProgress : IProgressView
{
    private static readonly TimeSpan EventCheck = TimeSpan.FromMilliseconds(250);

    private readonly Func<BatchApiProgress> _source;
    private readonly Func<BatchPlan, string> _formatPlan;
    private readonly TextWriter _out;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ITimer _timer;
    private readonly Lock _lock = new();
    private long _lastLine;
    private int _eventsShown;
    private bool _planShown;
    private bool _disposed;

    public BatchPlainProgress(Func<BatchApiProgress> source, Func<BatchPlan, string> formatPlan, TextWriter output, TimeProvider timeProvider, TimeSpan interval)
    {
        _source = source;
        _formatPlan = formatPlan;
        _out = output;
        _time = timeProvider;
        _interval = interval;
        _lastLine = timeProvider.GetTimestamp();
        _timer = timeProvider.CreateTimer(_ => Tick(final: false), null, EventCheck, EventCheck);
    }

    public void Stopping(string message, bool immediately)
    {
        lock (_lock)
        {
            _out.WriteLine(message);
            _out.Flush();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync().ConfigureAwait(false);
        Tick(final: true);
    }

    private void Tick(bool final)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = final;
            var p = _source();
            if (!_planShown && p.Plan is { } plan)
            {
                _planShown = true;
                _out.Write(_formatPlan(plan));
            }

            // Events in order; ones that fell out of the recent list before being shown are counted, not lost silently.
            var fresh = p.EventCount - _eventsShown;
            if (fresh > p.RecentEvents.Count)
            {
                _out.WriteLine($"llmbatch: ({fresh - p.RecentEvents.Count} earlier events not shown)");
                fresh = p.RecentEvents.Count;
            }

            foreach (var e in p.RecentEvents.Skip(p.RecentEvents.Count - fresh))
            {
                _out.WriteLine("llmbatch: " + e);
            }

            _eventsShown = p.EventCount;
            if (final || _time.GetElapsedTime(_lastLine) >= _interval)
            {
                _lastLine = _time.GetTimestamp();
                _out.WriteLine(Line(p, final));
            }

            _out.Flush();
        }
    }

    internal static string Line(BatchApiProgress p, bool final)
    {
        var parts = new List<string> { p.Phase, BatchProgressText.Overall(p) };
        var running = p.Chunks.Where(c => c.Phase != "done").ToList();
        if (running.Count > 0)
        {
            parts.Add(string.Join(", ", running.Take(8).Select(BatchProgressText.Chunk)) + (running.Count > 8 ? $", +{running.Count - 8} more" : ""));
        }

        if (p.Online is { } online)
        {
            parts.Add(BatchProgressText.Online(online));
        }

        parts.Add("elapsed " + ProgressSnapshot.Clock(p.Elapsed));
        if (!final)
        {
            parts.Add(BatchProgressText.Eta(p));
        }

        return "llmbatch: " + string.Join(" | ", parts);
    }
}

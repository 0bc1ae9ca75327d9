using System.Globalization;
using System.Text;
using LlmBatch.Redis.Workers;

namespace LlmBatch.Cli.Progress;

/// <summary>Each worker's figures of a Redis job (<c>run --redis</c>), for the owner's progress line and panel.</summary>
internal static class WorkersText
{
    /// <summary>Every worker of the job, in the order the owner got them.</summary>
    /// <param name="workers">The workers' last reports.</param>
    /// <param name="now">The owner's clock, to tell how long ago each worker reported.</param>
    /// <param name="lease">The job's lease: a worker silent for longer is lost (its items go to the others).</param>
    public static ProgressParts Parts(IReadOnlyList<RedisWorkerStatus> workers, DateTimeOffset now, TimeSpan lease)
    {
        if (workers.Count == 0)
        {
            return ProgressParts.None;
        }

        var cells = new string[workers.Count];
        for (var i = 0; i < workers.Count; i++)
        {
            cells[i] = Describe(workers[i], now, lease);
        }

        return new ProgressParts("workers", cells);
    }

    /// <summary>One worker: <c>host-1234-ab 1,203 done 2 failed 20.1/s 0 errors seen 1 s ago</c>, then <c>LOST</c> or <c>left</c>.</summary>
    public static string Describe(RedisWorkerStatus w, DateTimeOffset now, TimeSpan lease)
    {
        var c = CultureInfo.InvariantCulture;

        // The id comes out of Redis: outside text, escaped before it reaches the terminal.
        var sb = new StringBuilder(Terminal.TerminalText.Escape(w.WorkerId));
        var silent = now - w.LastSeen;
        if (silent < TimeSpan.Zero)
        {
            // Another machine's clock a little ahead of ours.
            silent = TimeSpan.Zero;
        }

        sb.Append(c, $" {w.Done:#,0} done {w.Failed:#,0} failed {w.RatePerSecond:0.0}/s {w.Errors:#,0} errors seen {Ago(silent)} ago");
        if (w.Left)
        {
            sb.Append(" left");
        }
        else if (IsLost(w, now, lease))
        {
            sb.Append(" LOST");
        }

        return sb.ToString();
    }

    /// <summary>Still in the job but silent for longer than the lease: its items go to the others.</summary>
    public static bool IsLost(RedisWorkerStatus w, DateTimeOffset now, TimeSpan lease) => !w.Left && now - w.LastSeen > lease;

    private static string Ago(TimeSpan t) => t.TotalSeconds < 120
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalSeconds} s")
        : ProgressSnapshot.Clock(t);
}

namespace LlmBatch.Bench.Macro;

/// <summary>What one client run cost, measured from outside the process.</summary>
/// <param name="WallSeconds">From process start to exit, as the harness's stopwatch saw it.</param>
/// <param name="CpuSeconds">User plus system CPU of the client (from wait4 via GNU time), or NaN when not measured.</param>
/// <param name="MaxRssMb">Peak resident set of the client in MiB (wait4's ru_maxrss), or NaN when not measured.</param>
/// <param name="ExitCode">The client's exit code; -1 when the harness killed it.</param>
/// <param name="TimedOut">True when it did not finish within the scenario's time cap and was killed.</param>
/// <param name="LogTail">The last lines it printed.</param>
internal sealed record RunMeasurement(double WallSeconds, double CpuSeconds, double MaxRssMb, int ExitCode, bool TimedOut, string LogTail);

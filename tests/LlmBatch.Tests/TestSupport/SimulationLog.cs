namespace LlmBatch.Tests.TestSupport;

/// <summary>
/// Writes a simulation's figures to the test output and, when <c>LLMBATCH_SIMULATION_LOG</c> names a file, appends
/// them there too: passing tests' output is not shown by the runner, and the figures are what tuning needs.
/// </summary>
internal static class SimulationLog
{
    private static readonly Lock s_lock = new();

    public static void Write(ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("LLMBATCH_SIMULATION_LOG") is { Length: > 0 } path)
        {
            lock (s_lock)
            {
                File.AppendAllText(path, line + Environment.NewLine);
            }
        }
    }
}

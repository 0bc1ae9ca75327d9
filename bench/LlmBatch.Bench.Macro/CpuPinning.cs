namespace LlmBatch.Bench.Macro;

/// <summary>
/// Pins a client to the last core with taskset, so its CPU figures do not depend on how the scheduler shares cores
/// with the simulator on a 2-core machine. taskset execs the client, so GNU time still measures the client itself.
/// </summary>
internal static class CpuPinning
{
    private const string Taskset = "/usr/bin/taskset";

    public static bool Available => File.Exists(Taskset) && Environment.ProcessorCount >= 2;

    public static (string Exe, IReadOnlyList<string> Args) Pin(string exe, IReadOnlyList<string> args) =>
        Available ? (Taskset, ["-c", (Environment.ProcessorCount - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), exe, .. args]) : (exe, args);
}

using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace LlmBatch.Bench.Macro;

/// <summary>Prints the scenarios: one line each, then every figure in a table, and optionally the same as Markdown.</summary>
internal static class Report
{
    public static string Summary(ScenarioResult s)
    {
        var ours = string.Join(", ", s.Figures.Where(f => f.Target.Length > 0).Select(f => $"{f.Name} {f.Ours}"));
        var theirs = string.Join(", ", s.Figures.Where(f => f.Target.Length > 0).Select(f => $"{f.Baseline}"));
        var verdict = s.Met switch { true => "MET", false => "MISSED: " + string.Join(", ", s.Figures.Where(f => f.Met == false).Select(f => f.Name)), null => "-" };
        return $"{s.Name,-17} | LlmBatch: {ours} | baseline: {theirs} | targets {verdict}";
    }

    public static string Table(IReadOnlyList<ScenarioResult> results)
    {
        var rows = new List<string[]> { new[] { "scenario", "figure", "LlmBatch", "baseline", "target", "met" } };
        foreach (var s in results)
        {
            foreach (var f in s.Figures)
            {
                rows.Add([s.Name, f.Name, f.Ours, f.Baseline, f.Target, Met(f.Met, markdown: false)]);
            }
        }

        var widths = Enumerable.Range(0, 6).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var sb = new StringBuilder();
        for (var r = 0; r < rows.Count; r++)
        {
            sb.AppendJoin("  ", rows[r].Select((c, i) => c.PadRight(widths[i]))).AppendLine();
            if (r == 0)
            {
                sb.AppendJoin("  ", widths.Select(w => new string('-', w))).AppendLine();
            }
        }

        return sb.ToString();
    }

    public static string Markdown(IReadOnlyList<ScenarioResult> results, string command, string machine)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Command: `{command}`  ");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine}  ");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        foreach (var s in results)
        {
            sb.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"#### {s.Name}").AppendLine();
            sb.AppendLine(s.Setup + ".").AppendLine();
            sb.AppendLine("| figure | LlmBatch | baseline | target | met |").AppendLine("|---|---|---|---|---|");
            foreach (var f in s.Figures)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {f.Name} | {f.Ours} | {f.Baseline} | {f.Target} | {Met(f.Met, markdown: true)} |");
            }

            foreach (var n in s.Notes)
            {
                sb.AppendLine().AppendLine(n);
            }
        }

        return sb.ToString();
    }

    public static string Machine()
    {
        var cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
            // Not Linux: the CPU model stays unknown.
        }

        var sdk = "unknown";
        try
        {
            using var p = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true, UseShellExecute = false });
            if (p is not null)
            {
                sdk = p.StandardOutput.ReadToEnd().Trim();
                p.WaitForExit();
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No dotnet on PATH: say so.
        }

        double load = double.NaN;
        try
        {
            load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            // No load figure outside Linux.
        }

        return $"{Environment.ProcessorCount} cores ({cpu}), .NET SDK {sdk}, runtime {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, load average at start {load:0.0}";
    }

    private static string Met(bool? met, bool markdown) => met switch { true => "yes", false => markdown ? "**no**" : "NO", null => "" };
}

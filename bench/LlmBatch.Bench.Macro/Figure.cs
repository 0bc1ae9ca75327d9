namespace LlmBatch.Bench.Macro;

/// <summary>One measured figure of a scenario: ours next to the baseline's, with the target and whether ours met it.</summary>
/// <param name="Name">What is measured, for example "efficiency".</param>
/// <param name="Ours">LlmBatch's figure, formatted.</param>
/// <param name="Baseline">The baseline's figure, formatted ("-" when the baseline was not run for it).</param>
/// <param name="Target">The target ours must meet, or "" when the figure has no target.</param>
/// <param name="Met">Whether ours met the target; null when there is none.</param>
internal sealed record Figure(string Name, string Ours, string Baseline, string Target = "", bool? Met = null);

namespace LlmBatch.Bench.Macro;

/// <summary>The figures of one scenario and how it was set up.</summary>
/// <param name="Name">The scenario's short name.</param>
/// <param name="Setup">Items and simulator settings, one line.</param>
/// <param name="Figures">What was measured.</param>
/// <param name="Notes">Anything a reader must know to read the figures (a capped baseline, an approximation).</param>
internal sealed record ScenarioResult(string Name, string Setup, IReadOnlyList<Figure> Figures, IReadOnlyList<string> Notes)
{
    public bool? Met => Figures.Any(f => f.Met == false) ? false : Figures.Any(f => f.Met == true) ? true : null;
}

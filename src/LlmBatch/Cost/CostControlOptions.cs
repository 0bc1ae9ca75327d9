namespace LlmBatch.Cost;

/// <summary>
/// How an engine meters what a run spends (<see cref="BatchEngineBuilder.WithCostControl"/>): the live spend of
/// <see cref="BatchProgress.Cost"/> and, with <see cref="MaxCost"/>, a budget the run never passes.
/// </summary>
public sealed class CostControlOptions
{
    /// <summary>The prices (default <see cref="PriceTable.BuiltIn"/>).</summary>
    public PriceTable Prices { get; set; } = PriceTable.BuiltIn;

    /// <summary>
    /// The most the run may spend, in US dollars, or null (default) for no cap. Each attempt reserves its worst-case cost
    /// (prompt tokens counted with the tokenizer, plus its whole output limit) before it waits for the rate budget, and
    /// settles at its reported usage. When the next attempt would take settled plus reserved spend over the cap, it waits
    /// for attempts in flight to settle; when nothing is in flight and it still does not fit, dispatch stops: items not
    /// sent get no line, so a rerun with a higher cap continues. Every model of the run then needs a price.
    /// </summary>
    public decimal? MaxCost { get; set; }

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (Prices is null)
        {
            problems.Add("Prices must not be null.");
        }

        if (MaxCost is { } cap && cap <= 0)
        {
            problems.Add($"MaxCost must be positive (was {cap}).");
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}

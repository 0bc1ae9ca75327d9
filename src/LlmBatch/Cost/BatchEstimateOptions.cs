using LlmBatch.Caching;

namespace LlmBatch.Cost;

/// <summary>How <see cref="BatchEstimator"/> prices a file before anything is sent.</summary>
public sealed class BatchEstimateOptions
{
    /// <summary>
    /// The expected completion as a share of the completion budget when no earlier run of the file was observed
    /// (default 0.5). Completion lengths vary far more than prompts; half the budget is a middle guess between an
    /// answer that stops early and one that uses all of <c>max_tokens</c>, and the estimate states the bound beside it.
    /// </summary>
    public const double DefaultCompletionRatio = 0.5;

    /// <summary>The prices (default <see cref="PriceTable.BuiltIn"/>).</summary>
    public PriceTable Prices { get; set; } = PriceTable.BuiltIn;

    /// <summary>Completion tokens budgeted for a request whose body sets no output limit (default 256, as a run reserves).</summary>
    public int DefaultMaxOutputTokens { get; set; } = 256;

    /// <summary>The share of the budget expected when nothing was observed (default <see cref="DefaultCompletionRatio"/>).</summary>
    public double CompletionRatio { get; set; } = DefaultCompletionRatio;

    /// <summary>
    /// The output of an earlier run of the same file, or null (default). Its answers give the observed completion ratio
    /// per model (completion tokens over the budget of the same requests); it need not exist.
    /// </summary>
    public string? PreviousOutputPath { get; set; }

    /// <summary>Leave out the items <see cref="PreviousOutputPath"/> already holds a line for, as a resumed run would (default false).</summary>
    public bool SkipDone { get; set; }

    /// <summary>With <see cref="SkipDone"/>, count failure lines as not done, as <c>--retry-failed</c> would (default false).</summary>
    public bool RetryFailed { get; set; }

    /// <summary>The run's reuse settings, or null (default): repeats it would share and answers its cache holds are not priced.</summary>
    public ResponseReuseOptions? Reuse { get; set; }

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (Prices is null)
        {
            problems.Add("Prices must not be null.");
        }

        if (DefaultMaxOutputTokens < 0)
        {
            problems.Add($"DefaultMaxOutputTokens must not be negative (was {DefaultMaxOutputTokens}).");
        }

        if (!(CompletionRatio is >= 0 and <= 1))
        {
            problems.Add($"CompletionRatio must be between 0 and 1 (was {CompletionRatio}).");
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}

namespace LlmBatch;

/// <summary>Options failed validation; <see cref="Problems"/> lists every one.</summary>
public sealed class BatchOptionsException : ArgumentException
{
    /// <summary>Creates the exception from the problems found.</summary>
    /// <param name="problems">One sentence per problem.</param>
    public BatchOptionsException(IReadOnlyList<string> problems)
        : base("Invalid options:\n  " + string.Join("\n  ", problems ?? throw new ArgumentNullException(nameof(problems))))
    {
        Problems = problems;
    }

    /// <summary>One sentence per problem.</summary>
    public IReadOnlyList<string> Problems { get; }
}

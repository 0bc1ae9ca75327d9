namespace LlmBatch.Simulator;

/// <summary>The length of every choice of an answer and whether <c>max_tokens</c> cut it short.</summary>
internal sealed class CompletionPlan
{
    private CompletionPlan(int[] tokens, bool[] capped)
    {
        Tokens = tokens;
        Capped = capped;
        foreach (var t in tokens)
        {
            Total += t;
            Longest = Math.Max(Longest, t);
        }
    }

    public int[] Tokens { get; }

    public bool[] Capped { get; }

    public int Total { get; }

    public int Longest { get; }

    public static CompletionPlan Create(ContentGenerator generator, ulong requestHash, int choices, int maxTokens)
    {
        var tokens = new int[choices];
        var capped = new bool[choices];
        for (var i = 0; i < choices; i++)
        {
            var natural = generator.NaturalLength(requestHash, i);
            tokens[i] = Math.Min(natural, maxTokens);
            capped[i] = natural > maxTokens;
        }

        return new CompletionPlan(tokens, capped);
    }
}

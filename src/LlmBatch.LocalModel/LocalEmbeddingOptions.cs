namespace LlmBatch.LocalModel;

/// <summary>How the embedded model batches its work. Every property states its default.</summary>
public sealed class LocalEmbeddingOptions
{
    /// <summary>
    /// Inputs per model invocation at most (default 32). Concurrent requests are coalesced up to this size:
    /// larger batches amortise the per-call overhead of the ONNX runtime, while every input in a batch is padded
    /// to the longest one, so very large batches of short texts waste work.
    /// </summary>
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">An option is out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (MaxBatchSize is < 1 or > 4096)
        {
            problems.Add($"MaxBatchSize must be between 1 and 4096 (was {MaxBatchSize}).");
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}

using LlmBatch.Output;

namespace LlmBatch.Results;

/// <summary>
/// The reading pass: turns each result into a <see cref="MergeRow"/> (the text, or the vectors, or the error),
/// settles what the results hold when the caller said <see cref="BatchMergeKind.Auto"/>, and notes what the
/// classification needs before the ordered pass (whether any item carries vectors).
/// </summary>
internal sealed class ResultRowReader(BatchMergeKind kind)
{
    private long _sequence;

    /// <summary>The kind; <see cref="BatchMergeKind.Auto"/> until the first success decides it.</summary>
    public BatchMergeKind Kind { get; private set; } = kind;

    /// <summary>True once a row that is not a label's has come with vectors.</summary>
    public bool AnyItemVectors { get; private set; }

    public MergeRow Read(BatchResult r)
    {
        var row = new MergeRow { CustomId = r.CustomId, Line = r.LineNumber, Sequence = _sequence++ };
        if (!r.IsSuccess)
        {
            row.ErrorCode = r.Error?.Code ?? $"http_{r.StatusCode}";
            row.ErrorMessage = r.Error?.Message ?? "the request did not succeed";
            return row;
        }

        if (Kind == BatchMergeKind.Auto)
        {
            Kind = ResultContent.LooksLikeEmbeddings(r.ResponseBody) ? BatchMergeKind.Embeddings : BatchMergeKind.Text;
        }

        // A classification takes its vectors or answers as they come; which one is decided by the body.
        if (Kind != BatchMergeKind.Text && ResultContent.TryReadEmbeddings(r.ResponseBody, out var vectors))
        {
            row.Vectors = vectors;
            AnyItemVectors |= !row.IsLabel;
        }
        else if (Kind != BatchMergeKind.Embeddings && ResultContent.TryReadText(r.ResponseBody, out var content, out var finish, out var usage))
        {
            row.Content = content;
            row.FinishReason = finish;
            row.Usage = usage;
        }
        else
        {
            row.ErrorCode = "invalid_response";
            row.ErrorMessage = Kind == BatchMergeKind.Embeddings
                ? "a successful response without embedding vectors"
                : "a successful response without text content";
        }

        return row;
    }
}

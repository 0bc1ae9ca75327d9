namespace LlmBatch.Bench.Macro;

/// <summary>What an output file holds against its input: one correct line per custom_id is the only good answer.</summary>
/// <param name="Expected">Items in the input.</param>
/// <param name="Correct">Items with exactly one line, and that line a 200 chat.completion with a message and usage.</param>
/// <param name="Failed">Lines with an error or a non-2xx status.</param>
/// <param name="Lost">Items with no line at all.</param>
/// <param name="Duplicated">Items with more than one line.</param>
/// <param name="Torn">Lines that are not a whole JSON object (a write cut short by a crash).</param>
/// <param name="Unknown">Lines whose custom_id is not in the input.</param>
internal sealed record OutputCheck(int Expected, int Correct, int Failed, int Lost, int Duplicated, int Torn, int Unknown)
{
    public bool AllCorrect => Correct == Expected && Failed == 0 && Lost == 0 && Duplicated == 0 && Torn == 0 && Unknown == 0;

    public string Describe() =>
        AllCorrect ? $"{Correct}/{Expected}" :
        $"{Correct}/{Expected} (failed {Failed}, lost {Lost}, dup {Duplicated}, torn {Torn}{(Unknown > 0 ? $", unknown {Unknown}" : "")})";
}

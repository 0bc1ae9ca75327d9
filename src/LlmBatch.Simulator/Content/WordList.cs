namespace LlmBatch.Simulator;

/// <summary>
/// Common English words that the o200k and cl100k tokenizers each encode as one token when preceded by a space,
/// so a completion of N words is close to N tokens as the client counts them.
/// </summary>
internal static class WordList
{
    public static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
        "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were",
        "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would",
        "who", "so", "no", "time", "data", "model", "batch", "request", "answer", "value", "system", "result",
        "simple", "large", "small", "first", "last", "new", "good", "great", "long", "right", "world", "work",
        "part", "place", "case", "point", "number", "group", "problem", "fact", "water", "light", "sound", "line",
        "order", "state", "level", "power", "form", "rate", "limit", "token", "text", "word", "file", "test",
    ];
}

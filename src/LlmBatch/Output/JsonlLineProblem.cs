namespace LlmBatch.Output;

/// <summary>What can be wrong with a line as a line, before its content is parsed (see <see cref="JsonlLineReader"/>).</summary>
internal enum JsonlLineProblem
{
    /// <summary>Nothing: the line is kept and is valid UTF-8.</summary>
    None,

    /// <summary>Longer than the reader's cap; its bytes were counted and let go.</summary>
    TooLong,

    /// <summary>Not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>A byte order mark at the start of a line other than the first.</summary>
    ByteOrderMark,
}

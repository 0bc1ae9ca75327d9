using LlmBatch.Output;

namespace LlmBatch.Input;

/// <summary>
/// Checks the current line of an input file: what the line reader found wrong with it as a line, then every field
/// through <see cref="BatchLineParser"/>, and, when a line fails, whether the file's shape (truncated, not JSONL at
/// all, UTF-16) explains it better than the JSON parser would.
/// </summary>
internal static class BatchLineChecker
{
    /// <summary>
    /// Returns the request on the reader's current line, or null with the line's problems added to
    /// <paramref name="errors"/> (cleared first). <paramref name="notJsonl"/> is set when the first line shows the
    /// file is not JSONL at all, so later lines need no listing. <paramref name="checkedBefore"/>: the file passed this
    /// check already and is read again to be run (see <see cref="BatchLineParser"/>).
    /// </summary>
    public static BatchRequest? Check(JsonlLineReader reader, List<BatchInputError> errors, bool copyBody, bool firstContentLine, out bool blank, out bool notJsonl, bool checkedBefore = false)
    {
        errors.Clear();
        blank = reader.IsBlank;
        notJsonl = false;
        if (blank)
        {
            return null;
        }

        var line = reader.Line;
        var span = line.Span;
        switch (reader.Problem)
        {
            case JsonlLineProblem.TooLong:
                var tooLong = reader.ProblemError()!;
                errors.Add(tooLong with { Message = tooLong.Message + " (raise MaxLineBytes / --max-line-bytes if it is meant to be this long)" });
                return null;
            case JsonlLineProblem.InvalidUtf8 when firstContentLine && span is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..]:
                notJsonl = true;
                errors.Add(reader.ProblemError()!);
                return null;
            case JsonlLineProblem.InvalidUtf8 or JsonlLineProblem.ByteOrderMark:
                errors.Add(reader.ProblemError()!);
                return null;
        }

        var request = BatchLineParser.ParseLine(line, reader.Path, reader.LineNumber, errors, copyBody, checkedBefore);
        if (request is not null)
        {
            return request;
        }

        // Some failures come from the file's shape rather than from this one line: say so instead of quoting the JSON parser.
        string? explanation = null;
        if (!reader.Terminated && BatchLineParser.IsIncompleteJson(span))
        {
            explanation = "the last line stops in the middle of a JSON object and has no line end: the file looks truncated (cut off while being written or copied?)";
        }
        else if (firstContentLine && InputFileShape.DescribeNotJsonl(span) is { } shape)
        {
            notJsonl = true;
            explanation = InputFileShape.NotJsonlMessage(shape);
        }
        else if (BatchLineParser.IsIncompleteJson(span))
        {
            explanation = "the JSON object is not closed on this line; each request must be one complete JSON object on a single line";
        }

        if (explanation is not null)
        {
            errors.Clear();
            errors.Add(new BatchInputError(reader.Path, reader.LineNumber, "", explanation));
        }

        return null;
    }
}

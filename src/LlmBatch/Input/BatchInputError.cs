namespace LlmBatch.Input;

/// <summary>One problem found in an input file, located precisely enough to fix it.</summary>
/// <param name="Path">The input file (or <c>-</c> for standard input).</param>
/// <param name="Line">The 1-based line number; 0 when the problem concerns the file as a whole.</param>
/// <param name="Field">The JSON field at fault, for example <c>body.model</c>; empty when the line as a whole is at fault.</param>
/// <param name="Message">What is wrong, in words a user can act on.</param>
public sealed record BatchInputError(string Path, long Line, string Field, string Message)
{
    /// <inheritdoc />
    public override string ToString()
    {
        var where = Line > 0 ? $"{Path}:{Line}" : Path;
        return Field.Length > 0 ? $"{where}: {Field}: {Message}" : $"{where}: {Message}";
    }
}

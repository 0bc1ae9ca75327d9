using System.Text.RegularExpressions;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// <c>--mode batch</c>: one member of <typeparamref name="T"/> by name, in any case, kebab-case for names of several
/// words (<c>reject-429</c> is <c>Reject429</c>); numbers are refused, so that <c>--mode 1</c> is not a mode.
/// </summary>
internal sealed partial class ChoiceConverter<T> : FlagValueConverter<T>
    where T : struct, Enum
{
    /// <inheritdoc />
    public override T Parse(string text)
    {
        if (!char.IsAsciiDigit(text.FirstOrDefault()) && !text.StartsWith('-')
            && Enum.TryParse<T>(text.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var value) && Enum.IsDefined(value))
        {
            return value;
        }

        var names = Enum.GetNames<T>().Select(Name).ToArray();
        throw new FlagValueException(text, $"must be {string.Join(", ", names[..^1])} or {names[^1]}");
    }

    /// <summary>A member as the command line spells it: <c>Reject429</c> as <c>reject-429</c>.</summary>
    public static string Name(T value) => Name(value.ToString());

    private static string Name(string member) => WordStart().Replace(member, "-").ToLowerInvariant();

    [GeneratedRegex("(?<=[a-z])(?=[A-Z0-9])")]
    private static partial Regex WordStart();
}

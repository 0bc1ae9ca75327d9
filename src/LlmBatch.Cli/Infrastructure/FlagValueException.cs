namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// A flag's value that is not of the flag's kind, thrown by the converters while Spectre binds the settings. It knows
/// the value and what was expected; <see cref="Describe"/> adds the flag, found in the command line, since a
/// <see cref="System.ComponentModel.TypeConverter"/> is not told which property it converts for.
/// </summary>
internal sealed class FlagValueException(string value, string problem) : FormatException($"'{value}' {problem}")
{
    /// <summary>The value as given.</summary>
    public string Value { get; } = value;

    /// <summary>What is wrong with it, as the end of a sentence: <c>is not a duration (e.g. 30s, 500ms, 2m)</c>.</summary>
    public string Problem { get; } = problem;

    /// <summary>The one-line error: <c>--grace: '5x' is not a duration (e.g. 30s, 500ms, 2m)</c>.</summary>
    public string Describe(IReadOnlyList<string>? args) =>
        FlagOf(Value, args) is { } flag ? $"{flag}: {Message}" : Message;

    // The flag whose value this is: "--grace 5x", "--grace=5x" or "--grace:5x" (Spectre's three spellings).
    private static string? FlagOf(string value, IReadOnlyList<string>? args)
    {
        for (var i = 0; args is not null && i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == value && i > 0 && args[i - 1].StartsWith('-'))
            {
                return args[i - 1];
            }

            var separator = arg.StartsWith('-') ? arg.IndexOfAny(['=', ':']) : -1;
            if (separator > 0 && arg.AsSpan(separator + 1).SequenceEqual(value))
            {
                return arg[..separator];
            }
        }

        return null;
    }
}

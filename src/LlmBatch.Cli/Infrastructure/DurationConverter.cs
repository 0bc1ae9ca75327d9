namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// <c>--grace 10s</c>: a duration as <see cref="DurationText"/> reads it everywhere: <c>500ms</c>, <c>30s</c>, <c>2m</c>,
/// <c>1h30m</c>, <c>7.00:00:00</c>, and a bare number as seconds.
/// </summary>
internal class DurationConverter : FlagValueConverter<TimeSpan>
{
    /// <summary>True to refuse a bare number other than 0 (the simulator's flags, where one meant milliseconds).</summary>
    protected virtual bool UnitRequired => false;

    /// <inheritdoc />
    public override TimeSpan Parse(string text)
    {
        if (DurationText.TryParse(text, out var value, UnitRequired))
        {
            return value;
        }

        var unreadable = DurationText.ParseMilliseconds(text) is null || (UnitRequired && DurationText.IsBareNumber(text));
        throw new FlagValueException(text, unreadable switch
        {
            true when UnitRequired => "is not a duration with its unit (write it like 400ms, 1.5s or 2m)",
            true => "is not a duration (e.g. 30s, 500ms, 2m)",
            false => "is out of range for a duration",
        });
    }
}

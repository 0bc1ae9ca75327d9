namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// The simulator's durations: as <see cref="DurationConverter"/>, but a bare number other than 0 is refused. It meant
/// milliseconds there once and means seconds everywhere now; an old <c>--latency 400</c> asks for its unit instead of
/// silently becoming 400 seconds.
/// </summary>
internal sealed class UnitDurationConverter : DurationConverter
{
    /// <inheritdoc />
    protected override bool UnitRequired => true;
}

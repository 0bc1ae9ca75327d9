namespace LlmBatch.Tests.Scheduling;

/// <summary>Every option that becomes a timer or a budget is bounded, so a value out of range is refused up front, not an overflow later.</summary>
public sealed class BatchOptionsBoundsTests
{
    public static TheoryData<string, Action<BatchOptions>> OutOfRange => new()
    {
        { "ItemDeadline", o => o.ItemDeadline = TimeSpan.FromHours(1200) },
        { "AttemptTimeout", o => o.AttemptTimeout = TimeSpan.FromDays(50) },
        { "AttemptTimeoutCeiling", o => o.AttemptTimeoutCeiling = TimeSpan.FromDays(8) },
        { "RetryMaxDelay", o => o.RetryMaxDelay = TimeSpan.MaxValue },
        { "RequestsPerMinute", o => o.RequestsPerMinute = 1e300 },
        { "TokensPerMinute", o => o.TokensPerMinute = double.PositiveInfinity },
        { "AttemptTimeoutMultiplier", o => o.AttemptTimeoutMultiplier = 1e300 },
        { "MaxMemoryBytes", o => o.MaxMemoryBytes = long.MaxValue },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Validate_ValueThatWouldOverflowLater_RefusedNamingTheOption(string name, Action<BatchOptions> set)
    {
        var options = new BatchOptions();
        set(options);

        var ex = Assert.Throws<BatchOptionsException>(options.Validate);

        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_GraceOfAThousandYears_Refused()
    {
        var options = new BatchJobOptions { InputPath = "in.jsonl", OutputPath = "out.jsonl", ShutdownGracePeriod = TimeSpan.FromDays(365_000) };

        Assert.Contains("ShutdownGracePeriod", Assert.Throws<BatchOptionsException>(options.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LongestAllowedValues_Accepted()
    {
        var options = new BatchOptions
        {
            ItemDeadline = BatchOptions.MaxDuration,
            AttemptTimeout = BatchOptions.MaxDuration,
            AttemptTimeoutCeiling = BatchOptions.MaxDuration,
            RetryMaxDelay = BatchOptions.MaxDuration,
            RequestsPerMinute = BatchOptions.MaxPerMinute,
            TokensPerMinute = BatchOptions.MaxPerMinute,
        };

        options.Validate();
    }
}

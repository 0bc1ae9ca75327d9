namespace LlmBatch.Endpoints;

/// <summary>
/// When an endpoint of several is taken out, and for how long (a circuit breaker per endpoint). Every property states
/// its default; <see cref="Validate"/> checks them all at once.
/// </summary>
/// <remarks>
/// Failures are genuine ones: a 5xx other than overload (503, 529 are the concurrency limit's business), a
/// connection that fails or resets, an attempt that times out. A refused connection, an unknown host and a refused key
/// (401, 403) take the endpoint out at once, since they say nothing about the request. Out, it gets no attempt until
/// its break ends; then one attempt probes it (half-open): an answer that is not a failure brings it back, a failure
/// takes it out again for twice as long. When every endpoint is out, attempts go to the one whose break ends first,
/// so a run whose every endpoint fails ends the way a single endpoint's run does, rather than waiting.
/// </remarks>
public sealed class EndpointHealthOptions
{
    /// <summary>Failures in a row that take an endpoint out (default 5).</summary>
    public int FailureThreshold { get; set; } = 5;

    /// <summary>How long an endpoint stays out the first time (default 10 s); each failed probe doubles it.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest an endpoint stays out before it is probed again (default 5 minutes); a refused key starts there.</summary>
    public TimeSpan MaxBreakDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (FailureThreshold is < 1 or > 1000)
        {
            problems.Add($"FailureThreshold must be between 1 and 1000 (was {FailureThreshold}).");
        }

        BatchOptions.CheckDuration(problems, nameof(BreakDuration), BreakDuration, allowZero: false);
        BatchOptions.CheckDuration(problems, nameof(MaxBreakDuration), MaxBreakDuration, allowZero: false);
        if (MaxBreakDuration < BreakDuration)
        {
            problems.Add($"MaxBreakDuration ({MaxBreakDuration}) must not be below BreakDuration ({BreakDuration}).");
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}

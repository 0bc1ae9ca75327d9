namespace LlmBatch.Simulator;

/// <summary>How completion lengths are drawn around <see cref="SimulatorOptions.CompletionTokens"/> (the mean) before <c>max_tokens</c> caps them.</summary>
public enum SimulatorLengthDistribution
{
    /// <summary>Every completion has exactly the mean length.</summary>
    Fixed,

    /// <summary>Uniform between half and one and a half times the mean.</summary>
    Uniform,

    /// <summary>Exponential with the given mean: many short answers, a long tail.</summary>
    Exponential,

    /// <summary>Lognormal with sigma 0.5 and the given mean: the usual shape of real completion lengths.</summary>
    Lognormal,
}

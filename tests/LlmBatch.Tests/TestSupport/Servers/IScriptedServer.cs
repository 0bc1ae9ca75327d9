namespace LlmBatch.Tests.TestSupport.Servers;

/// <summary>A model of a server on fake time, for <see cref="ServerSimulation"/>.</summary>
internal interface IScriptedServer
{
    /// <summary>An attempt reaches the server now.</summary>
    void Arrive(SimAttempt attempt, DateTimeOffset now);

    /// <summary>Moves the server to <paramref name="now"/> and returns the attempts whose answers are due, with <see cref="SimAttempt.Response"/> set.</summary>
    IEnumerable<SimAttempt> Due(DateTimeOffset now);
}

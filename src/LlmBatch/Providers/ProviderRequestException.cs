namespace LlmBatch.Providers;

/// <summary>
/// A request body an in-process provider cannot serve (a wrong type, an unsupported feature). The provider turns it
/// into a 400 response with OpenAI's error JSON; it never leaves the provider.
/// </summary>
internal sealed class ProviderRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, for the caller.</param>
    /// <param name="param">The JSON path of the offending field, for example <c>messages[2].role</c>.</param>
    public ProviderRequestException(string message, string? param)
        : base(message)
    {
        Param = param;
    }

    /// <summary>The JSON path of the offending field, when there is one.</summary>
    public string? Param { get; }
}

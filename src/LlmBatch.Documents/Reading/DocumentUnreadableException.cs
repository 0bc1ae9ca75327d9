namespace LlmBatch.Documents;

/// <summary>A document that cannot be read (binary content, an encrypted PDF, a broken archive); the run skips it and names the reason.</summary>
public sealed class DocumentUnreadableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DocumentUnreadableException()
    {
    }

    /// <summary>Creates the exception with the reason, a short phrase such as "encrypted PDF".</summary>
    /// <param name="message">The reason.</param>
    public DocumentUnreadableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the reason and what caused it.</summary>
    /// <param name="message">The reason.</param>
    /// <param name="innerException">The reader's own error.</param>
    public DocumentUnreadableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

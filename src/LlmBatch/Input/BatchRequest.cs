namespace LlmBatch.Input;

/// <summary>
/// One request of a batch: an OpenAI Batch API input line <c>{"custom_id","method","url","body"}</c>.
/// The body is kept as the original UTF-8 JSON so that it reaches the provider byte for byte.
/// </summary>
public sealed class BatchRequest
{
    internal BatchRequest(
        string customId,
        BatchEndpointKind endpoint,
        string url,
        ReadOnlyMemory<byte> body,
        string model,
        int? maxOutputTokens,
        long lineNumber,
        bool? deterministic = null)
    {
        _deterministic = deterministic switch { null => Unknown, true => Deterministic, false => NotDeterministic };
        CustomId = customId;
        Endpoint = endpoint;
        Url = url;
        Body = body;
        Model = model;
        MaxOutputTokens = maxOutputTokens;
        LineNumber = lineNumber;
    }

    private const int Unknown = 0;
    private const int NotDeterministic = 1;
    private const int Deterministic = 2;

    // Read with the body's other fields when the request came from a line; worked out on first use otherwise. One int,
    // not a bool?, so a request shared by threads is never seen half-written.
    private int _deterministic;

    /// <summary>The caller's identifier, unique within a batch; results are matched to requests by it.</summary>
    public string CustomId { get; }

    /// <summary>The endpoint the request targets.</summary>
    public BatchEndpointKind Endpoint { get; }

    /// <summary>The relative URL as given in the input, for example <c>/v1/chat/completions</c>.</summary>
    public string Url { get; }

    /// <summary>The request body: a UTF-8 JSON object, sent unchanged.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The <c>model</c> named in the body.</summary>
    public string Model { get; }

    /// <summary>The body's <c>max_completion_tokens</c>, <c>max_tokens</c> or <c>max_output_tokens</c>, if any.</summary>
    public int? MaxOutputTokens { get; }

    /// <summary>The 1-based line of the input file this request came from; 0 when it was built in code.</summary>
    public long LineNumber { get; }

    /// <summary>
    /// Whether the body asks for a reproducible answer (<c>temperature</c> 0 or a <c>seed</c>), which decides whether its
    /// answer may be shared or cached. Read in the same pass as the line's other fields; for a request built otherwise,
    /// worked out from the body once.
    /// </summary>
    internal bool IsDeterministic
    {
        get
        {
            var known = Volatile.Read(ref _deterministic);
            if (known == Unknown)
            {
                known = Caching.CanonicalJson.IsDeterministic(Body.Span) ? Deterministic : NotDeterministic;
                Volatile.Write(ref _deterministic, known);
            }

            return known == Deterministic;
        }
    }

    /// <summary>
    /// Builds a request from its parts, checking them as an input line is checked.
    /// </summary>
    /// <param name="customId">The caller's identifier, unique within a batch.</param>
    /// <param name="url">One of <c>/v1/chat/completions</c>, <c>/v1/completions</c>, <c>/v1/embeddings</c>, <c>/v1/responses</c>.</param>
    /// <param name="body">The JSON body; it must be an object with a <c>model</c>.</param>
    /// <returns>The request.</returns>
    /// <exception cref="BatchInputException">The parts do not form a valid request.</exception>
    public static BatchRequest Create(string customId, string url, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(customId);
        ArgumentNullException.ThrowIfNull(url);
        return BatchLineParser.FromParts(customId, url, body);
    }

    /// <summary>Builds a request from its parts with the body as a JSON string.</summary>
    /// <param name="customId">The caller's identifier, unique within a batch.</param>
    /// <param name="url">The relative endpoint URL.</param>
    /// <param name="jsonBody">The JSON body.</param>
    /// <returns>The request.</returns>
    /// <exception cref="BatchInputException">The parts do not form a valid request.</exception>
    public static BatchRequest Create(string customId, string url, string jsonBody)
    {
        ArgumentNullException.ThrowIfNull(jsonBody);
        return Create(customId, url, System.Text.Encoding.UTF8.GetBytes(jsonBody));
    }

    /// <inheritdoc />
    public override string ToString() => $"{CustomId} {Url} ({Model})";
}

using System.Text.Json;
using LlmBatch.BatchApi;
using LlmBatch.Input;
using LlmBatch.Json;

namespace LlmBatch.Simulator;

/// <summary>
/// Validates a batch input file as OpenAI does before running it: one JSON object per line with a unique
/// <c>custom_id</c>, <c>method</c> POST, the batch's endpoint as <c>url</c>, a <c>body</c> naming one model for the whole
/// file, at most 50,000 lines (and, for embeddings, 50,000 inputs) and 200 MB. Problems carry their 1-based line.
/// </summary>
internal static class BatchInputCheck
{
    public const int MaxRequests = 50_000;
    public const long MaxBytes = 200_000_000;
    private const int MaxListed = 10;

    /// <summary>The outcome: the lines, the model, and the problems (empty when the file is valid).</summary>
    public sealed record Result(List<BatchLine> Lines, string Model, List<BatchProblem> Problems);

    public static Result Check(byte[] content, string endpoint, bool azure)
    {
        var lines = new List<BatchLine>();
        var problems = new List<BatchProblem>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        string? model = null;
        var inputs = 0L;
        if (content.LongLength > MaxBytes)
        {
            problems.Add(new BatchProblem("file_too_large", $"The batch input file is larger than the {MaxBytes / 1_000_000} MB limit.", null, null));
            return new Result(lines, "", problems);
        }

        var start = 0;
        var number = 0;
        while (start < content.Length && problems.Count < MaxListed)
        {
            var end = Array.IndexOf(content, (byte)'\n', start);
            if (end < 0)
            {
                end = content.Length;
            }

            number++;
            var lineEnd = end > start && content[end - 1] == '\r' ? end - 1 : end;
            var line = content.AsSpan(start, lineEnd - start);
            var lineStart = start;
            start = end + 1;
            if (line.IndexOfAnyExcept(" \t"u8) < 0)
            {
                continue;
            }

            var parsed = ParseLine(line, lineStart, number, endpoint, azure, out var problem, out var lineModel, out var lineInputs);
            if (problem is not null)
            {
                problems.Add(problem);
                continue;
            }

            if (!ids.Add(parsed.CustomId))
            {
                problems.Add(new BatchProblem("duplicate_custom_id", $"The custom_id '{parsed.CustomId}' is used on more than one line; custom_ids must be unique.", "custom_id", number));
                continue;
            }

            model ??= lineModel;
            if (!string.Equals(model, lineModel, StringComparison.Ordinal))
            {
                problems.Add(new BatchProblem("mismatched_model", $"All requests of a batch must use the same model: this line uses '{lineModel}', earlier ones '{model}'.", "body.model", number));
                continue;
            }

            inputs += lineInputs;
            lines.Add(parsed);
        }

        if (problems.Count == 0 && lines.Count == 0)
        {
            problems.Add(new BatchProblem("empty_file", "The batch input file holds no requests.", null, null));
        }
        else if (lines.Count > MaxRequests)
        {
            problems.Add(new BatchProblem("too_many_tasks", $"The batch holds {lines.Count} requests; at most {MaxRequests} are allowed.", null, null));
        }
        else if (inputs > MaxRequests)
        {
            problems.Add(new BatchProblem("too_many_tasks", $"The batch holds {inputs} embedding inputs; at most {MaxRequests} are allowed.", null, null));
        }

        return new Result(lines, model ?? "", problems);
    }

    /// <summary>Where a line's url is accepted for the batch's endpoint; Azure takes both <c>/chat/completions</c> and <c>/v1/chat/completions</c>.</summary>
    public static bool SameEndpoint(string url, string endpoint, bool azure) =>
        azure ? string.Equals(StripV1(url), StripV1(endpoint), StringComparison.Ordinal) : string.Equals(url, endpoint, StringComparison.Ordinal);

    /// <summary>The endpoint kind of a url in either spelling, or null.</summary>
    public static BatchEndpointKind? KindOf(string url) => EndpointPaths.TryGetKind(url, out var kind) ? kind : null;

    private static string StripV1(string url) => url.StartsWith(EndpointPaths.Prefix + "/", StringComparison.Ordinal) ? url[EndpointPaths.Prefix.Length..] : url;

    private static BatchLine ParseLine(ReadOnlySpan<byte> line, int lineStart, int number, string endpoint, bool azure, out BatchProblem? problem, out string model, out long inputs)
    {
        problem = null;
        model = "";
        inputs = 0;
        string? customId = null;
        string? method = null;
        string? url = null;
        var bodyStart = -1;
        var bodyLength = 0;
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                problem = new BatchProblem("invalid_json_line", "This line is not a JSON object.", null, number);
                return default;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "custom_id" when reader.TokenType == JsonTokenType.String:
                        customId = reader.GetString();
                        break;
                    case "method" when reader.TokenType == JsonTokenType.String:
                        method = reader.GetString();
                        break;
                    case "url" when reader.TokenType == JsonTokenType.String:
                        url = reader.GetString();
                        break;
                    case "body" when reader.TokenType == JsonTokenType.StartObject:
                        bodyStart = (int)reader.TokenStartIndex;
                        reader.Skip();
                        bodyLength = (int)reader.BytesConsumed - bodyStart;
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (JsonException)
        {
            problem = new BatchProblem("invalid_json_line", "This line is not parseable as valid JSON.", null, number);
            return default;
        }

        if (string.IsNullOrEmpty(customId))
        {
            problem = Missing("custom_id", number);
        }
        else if (method != "POST")
        {
            problem = new BatchProblem("invalid_method", "The method of every request must be POST.", "method", number);
        }
        else if (url is null)
        {
            problem = Missing("url", number);
        }
        else if (!SameEndpoint(url, endpoint, azure) || KindOf(url) is null)
        {
            problem = new BatchProblem("invalid_url", $"The url '{url}' does not match the batch's endpoint '{endpoint}'.", "url", number);
        }
        else if (bodyStart < 0)
        {
            problem = Missing("body", number);
        }
        else if (!TryReadBody(line.Slice(bodyStart, bodyLength), KindOf(url)!.Value, out model, out inputs))
        {
            problem = Missing("body.model", number);
        }

        return problem is null ? new BatchLine(customId!, KindOf(url!)!.Value, url!, lineStart + bodyStart, bodyLength) : default;
    }

    private static BatchProblem Missing(string param, int number) =>
        new("missing_required_parameter", $"Missing required parameter: '{param}'.", param, number);

    // The body's model; for an embeddings body also how many inputs it carries, as the client counts them.
    private static bool TryReadBody(ReadOnlySpan<byte> body, BatchEndpointKind kind, out string model, out long inputs)
    {
        model = "";
        inputs = kind == BatchEndpointKind.Embeddings ? EmbeddingInputs.Count(body) : 1;
        var reader = new Utf8JsonReader(body);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isModel = JsonText.Is(ref reader, "model"u8);
            reader.Read();
            if (isModel && reader.TokenType == JsonTokenType.String)
            {
                model = reader.GetString() ?? "";
            }

            reader.Skip();
        }

        return model.Length > 0;
    }
}

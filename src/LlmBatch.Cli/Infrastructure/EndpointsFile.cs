using System.Globalization;
using System.Text.Json;
using LlmBatch.Providers;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// The file of <c>llmbatch run --endpoints FILE</c>: the endpoints (servers, deployments or keys) that share a run.
/// JSON, either an array of entries or <c>{"endpoints": [...]}</c>; each entry has <c>base_url</c> and optionally
/// <c>name</c>, <c>api_key_env</c> (the NAME of the variable holding the key: a key is never written in the file),
/// <c>rpm</c>, <c>tpm</c>, <c>weight</c> and <c>model</c>. Read and checked once: every problem is reported together,
/// each naming the file, the entry and the field, and a value that may be a secret is never quoted.
/// </summary>
internal static class EndpointsFile
{
    /// <summary>The fields an entry may have, in the order the documentation lists them.</summary>
    private static readonly string[] s_fields = ["name", "base_url", "api_key_env", "rpm", "tpm", "weight", "model"];

    /// <summary>One entry of the file as written (the key not yet read).</summary>
    internal sealed record Entry(int Index, string Name, Uri BaseUrl, string? ApiKeyEnv, double? Rpm, double? Tpm, double Weight, string? Model);

    /// <summary>Reads and checks the file.</summary>
    /// <exception cref="BatchOptionsException">The file is missing, not JSON, or has entries with problems; the message lists them all.</exception>
    public static IReadOnlyList<Entry> Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BatchOptionsException([$"{path}: the endpoints file cannot be read: {ex.Message}"]);
        }

        return Parse(path, text);
    }

    /// <summary>Checks the text of an endpoints file named <paramref name="path"/> (for messages).</summary>
    public static IReadOnlyList<Entry> Parse(string path, string text)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new BatchOptionsException([$"{path}: not valid JSON (line {(ex.LineNumber ?? 0) + 1}): expected an array of endpoints or {{\"endpoints\": [...]}}."]);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("endpoints", out var inner))
            {
                root = inner;
            }

            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() == 0)
            {
                throw new BatchOptionsException([$"{path}: expected a non-empty array of endpoints, or {{\"endpoints\": [...]}}, each with at least \"base_url\"."]);
            }

            var problems = new List<string>();
            var entries = new List<Entry>();
            var index = 0;
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var element in root.EnumerateArray())
            {
                if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                    && name.GetString()!.Trim() is { Length: > 0 } given && !names.Add(given))
                {
                    problems.Add($"{path}: entry {index}: name: \"{given}\" is already the name of an earlier entry; names must be unique.");
                }

                if (ReadEntry(path, index, element, problems) is { } entry)
                {
                    entries.Add(entry);
                }

                index++;
            }

            var named = NameDefaults(entries);
            if (problems.Count > 0)
            {
                throw new BatchOptionsException(problems);
            }

            return named;
        }
    }

    private static Entry? ReadEntry(string path, int index, JsonElement element, List<string> problems)
    {
        var at = $"{path}: entry {index}";
        if (element.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{at}: expected an object with \"base_url\" and optionally {string.Join(", ", s_fields.Where(f => f != "base_url").Select(f => $"\"{f}\""))}.");
            return null;
        }

        var before = problems.Count;
        string? name = null, apiKeyEnv = null, model = null;
        Uri? baseUrl = null;
        double? rpm = null, tpm = null;
        var weight = 1.0;
        foreach (var property in element.EnumerateObject())
        {
            var field = $"{at}: {property.Name}";
            var value = property.Value;
            switch (property.Name)
            {
                case "name":
                    name = Text(value, field, problems);
                    if (name is not null && (name.Length > 64 || name.Any(char.IsControl)))
                    {
                        problems.Add($"{field}: at most 64 characters, none of them control characters.");
                        name = null;
                    }

                    break;
                case "base_url":
                    baseUrl = Url(value, field, problems);
                    break;
                case "api_key_env":
                    apiKeyEnv = KeyVariable(value, field, problems);
                    break;
                case "rpm":
                    rpm = Number(value, field, BatchOptions.MaxPerMinute, problems);
                    break;
                case "tpm":
                    tpm = Number(value, field, BatchOptions.MaxPerMinute, problems);
                    break;
                case "weight":
                    weight = Number(value, field, 1e6, problems) ?? weight;
                    break;
                case "model":
                    model = Text(value, field, problems);
                    break;
                default:
                    // The value is not quoted: a key pasted under a misspelt name must not reach the terminal.
                    problems.Add($"{field}: unknown field (expected {string.Join(", ", s_fields)}).");
                    break;
            }
        }

        if (!element.TryGetProperty("base_url", out _))
        {
            problems.Add($"{at}: base_url: missing (the server's API root, for example http://localhost:8000/v1).");
        }

        return problems.Count == before && baseUrl is not null ? new Entry(index, name ?? "", baseUrl, apiKeyEnv, rpm, tpm, weight, model) : null;
    }

    /// <summary>Entries without a name are named after their host (and port), made unique with #2, #3….</summary>
    private static List<Entry> NameDefaults(List<Entry> entries)
    {
        var taken = new HashSet<string>(entries.Where(e => e.Name.Length > 0).Select(e => e.Name), StringComparer.Ordinal);

        var named = new List<Entry>(entries.Count);
        foreach (var e in entries)
        {
            if (e.Name.Length > 0)
            {
                named.Add(e);
                continue;
            }

            var host = e.BaseUrl.IsDefaultPort ? e.BaseUrl.Host : string.Create(CultureInfo.InvariantCulture, $"{e.BaseUrl.Host}:{e.BaseUrl.Port}");
            var name = host;
            for (var n = 2; !taken.Add(name); n++)
            {
                name = string.Create(CultureInfo.InvariantCulture, $"{host}#{n}");
            }

            named.Add(e with { Name = name });
        }

        return named;
    }

    private static string? Text(JsonElement value, string field, List<string> problems)
    {
        if (value.ValueKind == JsonValueKind.String && value.GetString() is { } s && !string.IsNullOrWhiteSpace(s))
        {
            return s.Trim();
        }

        problems.Add($"{field}: expected a non-empty string.");
        return null;
    }

    private static Uri? Url(JsonElement value, string field, List<string> problems)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString()?.Trim() : null;
        if (text is null || !Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"{field}: {(text is null ? "expected a string" : $"\"{UrlRedaction.Redact(text)}\" is not an absolute http or https URL")} (for example http://localhost:8000/v1).");
            return null;
        }

        if (url.UserInfo.Length > 0)
        {
            problems.Add($"{field}: must not contain a user name or password; put the key in an environment variable and name it in api_key_env.");
            return null;
        }

        return url;
    }

    private static string? KeyVariable(JsonElement value, string field, List<string> problems)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString()?.Trim() : null;
        if (text is { Length: > 0 and <= 128 } && IsVariableName(text))
        {
            return text;
        }

        // Never quoted: the commonest mistake here is the key itself.
        problems.Add($"{field}: expected the NAME of an environment variable (letters, digits, _), for example \"AZURE_EAST_KEY\"; the key itself never goes in the file.");
        return null;
    }

    private static bool IsVariableName(string text)
    {
        if (!(char.IsAsciiLetter(text[0]) || text[0] == '_'))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        // A key pasted here looks like "sk-..." (refused above for the dash) or a long run of letters and digits.
        return !(text.Length > 40 && !text.Contains('_', StringComparison.Ordinal));
    }

    private static double? Number(JsonElement value, string field, double max, List<string> problems)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var n) && n > 0 && n <= max)
        {
            return n;
        }

        problems.Add($"{field}: expected a positive number up to {max:0e0}.");
        return null;
    }
}

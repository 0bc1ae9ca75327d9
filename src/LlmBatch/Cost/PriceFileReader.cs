using System.Globalization;
using System.Text.Json;

namespace LlmBatch.Cost;

/// <summary>
/// Reads a price file in either accepted format and lays it over another table. LlmBatch's own format gives USD per
/// million tokens and is strict (a bad value names the file, model and field); LiteLLM's gives USD per token, holds
/// thousands of entries of every kind, and is read leniently (an entry without a numeric token price is skipped).
/// </summary>
internal static class PriceFileReader
{
    private const decimal Million = 1_000_000m;

    public static PriceTable Read(byte[] json, string path, PriceTable? over)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not valid JSON (line {ex.LineNumber + 1}): {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}: expected a JSON object of model name to {{\"input_per_1m\", \"output_per_1m\"}}, or LiteLLM's model_prices_and_context_window.json.");
            }

            var prices = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
            if (over is not null)
            {
                foreach (var model in over.Models)
                {
                    over.TryGetPrice(model, out var price);
                    prices[model] = price!;
                }
            }

            var name = over is null ? "built-in" : Path.GetFileName(path);
            string source;
            DateOnly? asOf = null;
            if (IsLiteLlm(root))
            {
                var read = ReadLiteLlm(root, prices);
                source = $"{name} (LiteLLM format, {read:N0} token-priced models){Over(over)}";
            }
            else
            {
                var models = root;
                if (root.TryGetProperty("models", out var wrapped) && wrapped.ValueKind == JsonValueKind.Object)
                {
                    models = wrapped;
                    asOf = ReadDate(root, path);
                    if (root.TryGetProperty("source", out var described) && described.ValueKind == JsonValueKind.String && over is null)
                    {
                        name = "built-in (" + described.GetString() + ")";
                    }
                }

                ReadOwn(models, path, prices);
                source = name + (asOf is { } d ? ", as of " + d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "") + Over(over);
            }

            return new PriceTable(prices, source, asOf);
        }
    }

    private static string Over(PriceTable? over) => over is null ? "" : ", over " + over.Source;

    private static DateOnly? ReadDate(JsonElement root, string path)
    {
        if (!root.TryGetProperty("as_of", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String && DateOnly.TryParseExact(value.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw new InvalidDataException($"{path}: as_of must be a date such as \"2025-08-07\" (was {value.GetRawText()}).");
    }

    // LiteLLM's file describes its own fields in "sample_spec" and prices tokens per token.
    private static bool IsLiteLlm(JsonElement root)
    {
        if (root.TryGetProperty("sample_spec", out _))
        {
            return true;
        }

        foreach (var entry in root.EnumerateObject())
        {
            if (entry.Value.ValueKind == JsonValueKind.Object
                && (entry.Value.TryGetProperty("input_cost_per_token", out _) || entry.Value.TryGetProperty("litellm_provider", out _)))
            {
                return true;
            }
        }

        return false;
    }

    private static int ReadLiteLlm(JsonElement root, Dictionary<string, ModelPrice> prices)
    {
        var read = 0;
        var bare = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        var named = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in root.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Object || entry.NameEquals("sample_spec")
                || PerMillion(entry.Value, "input_cost_per_token") is not { } input)
            {
                continue;
            }

            var output = PerMillion(entry.Value, "output_cost_per_token") ?? 0m;
            var price = new ModelPrice(input, output);
            if (PerMillion(entry.Value, "cache_read_input_token_cost") is { } cached)
            {
                price = price with { CachedInputPerMillion = cached };
            }

            if (PerMillion(entry.Value, "input_cost_per_token_batches") is { } batchInput)
            {
                price = price with { BatchInputPerMillion = batchInput };
            }

            if (PerMillion(entry.Value, "output_cost_per_token_batches") is { } batchOutput)
            {
                price = price with { BatchOutputPerMillion = batchOutput };
            }

            prices[entry.Name] = price;
            named.Add(entry.Name);
            read++;

            // "openai/gpt-4o-mini" is how LiteLLM routes a model a request names plainly as "gpt-4o-mini".
            var slash = entry.Name.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0 && entry.Value.TryGetProperty("litellm_provider", out var provider) && provider.ValueKind == JsonValueKind.String
                && provider.GetString() is "openai" or "text-completion-openai")
            {
                bare.TryAdd(entry.Name[(slash + 1)..], price);
            }
        }

        foreach (var (model, price) in bare)
        {
            if (!named.Contains(model))
            {
                prices[model] = price;
            }
        }

        return read;
    }

    private static decimal? PerMillion(JsonElement entry, string field) =>
        entry.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var perToken) && perToken >= 0
            ? perToken * Million
            : null;

    private static void ReadOwn(JsonElement models, string path, Dictionary<string, ModelPrice> prices)
    {
        foreach (var model in models.EnumerateObject())
        {
            if (model.Value.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}: \"{model.Name}\" must be an object with input_per_1m and output_per_1m.");
            }

            var input = Required(path, model, "input_per_1m");
            var output = Optional(path, model, "output_per_1m") ?? 0m;
            var price = new ModelPrice(input, output);
            if (Optional(path, model, "cached_input_per_1m") is { } cached)
            {
                price = price with { CachedInputPerMillion = cached };
            }

            if (Optional(path, model, "batch_input_per_1m") is { } batchInput)
            {
                price = price with { BatchInputPerMillion = batchInput };
            }

            if (Optional(path, model, "batch_output_per_1m") is { } batchOutput)
            {
                price = price with { BatchOutputPerMillion = batchOutput };
            }

            prices[model.Name] = price;
        }
    }

    private static decimal Required(string path, JsonProperty model, string field) =>
        Optional(path, model, field) ?? throw new InvalidDataException($"{path}: \"{model.Name}\" has no {field}.");

    private static decimal? Optional(string path, JsonProperty model, string field)
    {
        if (!model.Value.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var number) || number < 0)
        {
            throw new InvalidDataException(
                string.Create(CultureInfo.InvariantCulture, $"{path}: \"{model.Name}\".{field} must be a non-negative number (was {value.GetRawText()})."));
        }

        return number;
    }
}

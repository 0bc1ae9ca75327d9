using System.Globalization;
using System.Text.Json;

namespace LlmBatch.Reporting;

/// <summary>
/// Token prices per model, used to put a cost on a run. <see cref="BuiltIn"/> holds OpenAI's standard-tier list prices
/// for a handful of common models as published in 2025 (they change: check them, and override them with
/// <see cref="Load"/>). A model matches its own name or, failing that, the longest listed name it starts with, so
/// dated snapshots such as <c>gpt-4o-mini-2024-07-18</c> take their family's price.
/// </summary>
public sealed class PriceTable
{
    private readonly Dictionary<string, ModelPrice> _prices;

    private PriceTable(Dictionary<string, ModelPrice> prices, string source)
    {
        _prices = prices;
        Source = source;
    }

    /// <summary>
    /// OpenAI's standard-tier list prices (USD per million tokens) for common models, as of 2025. They may be stale;
    /// the provider's own Batch API bills about half of these.
    /// </summary>
    public static PriceTable BuiltIn { get; } = new(
        new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase)
        {
            ["gpt-5"] = new(1.25m, 10.00m),
            ["gpt-5-mini"] = new(0.25m, 2.00m),
            ["gpt-5-nano"] = new(0.05m, 0.40m),
            ["gpt-4.1"] = new(2.00m, 8.00m),
            ["gpt-4.1-mini"] = new(0.40m, 1.60m),
            ["gpt-4.1-nano"] = new(0.10m, 0.40m),
            ["gpt-4o"] = new(2.50m, 10.00m),
            ["gpt-4o-mini"] = new(0.15m, 0.60m),
            ["o3"] = new(2.00m, 8.00m),
            ["o3-mini"] = new(1.10m, 4.40m),
            ["o4-mini"] = new(1.10m, 4.40m),
            ["gpt-3.5-turbo"] = new(0.50m, 1.50m),
            ["text-embedding-3-small"] = new(0.02m, 0m),
            ["text-embedding-3-large"] = new(0.13m, 0m),
            ["text-embedding-ada-002"] = new(0.10m, 0m),
        },
        "built-in list prices (OpenAI standard tier, 2025; may be stale)");

    /// <summary>Where the prices came from, for the report.</summary>
    public string Source { get; }

    /// <summary>The models listed.</summary>
    public IReadOnlyCollection<string> Models => _prices.Keys;

    /// <summary>
    /// Reads a price file and lays it over <see cref="BuiltIn"/> (its models replace or add to the built-in ones).
    /// The file is a JSON object of model name to <c>{"input_per_1m": 0.15, "output_per_1m": 0.6}</c> (USD per
    /// million tokens).
    /// </summary>
    /// <param name="path">The JSON file.</param>
    /// <returns>The combined table.</returns>
    /// <exception cref="InvalidDataException">The file is not valid; the message names the file and the field.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static PriceTable Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var prices = new Dictionary<string, ModelPrice>(BuiltIn._prices, StringComparer.OrdinalIgnoreCase);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not valid JSON (line {ex.LineNumber + 1}): {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}: expected a JSON object of model name to {{\"input_per_1m\", \"output_per_1m\"}}.");
            }

            foreach (var model in document.RootElement.EnumerateObject())
            {
                if (model.Value.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException($"{path}: \"{model.Name}\" must be an object with input_per_1m and output_per_1m.");
                }

                prices[model.Name] = new ModelPrice(Read(path, model, "input_per_1m"), Read(path, model, "output_per_1m"));
            }
        }

        return new PriceTable(prices, "built-in list prices overridden by " + Path.GetFileName(path));
    }

    /// <summary>Finds the price of a model.</summary>
    /// <param name="model">The model name as sent in the request.</param>
    /// <param name="price">The price, when found.</param>
    /// <returns>True when the table prices the model.</returns>
    public bool TryGetPrice(string model, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelPrice? price)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (_prices.TryGetValue(model, out price))
        {
            return true;
        }

        var bestLength = 0;
        foreach (var (name, candidate) in _prices)
        {
            // Only a prefix followed by '-' counts, so "gpt-4o" does not price "gpt-4o-mini"-like unrelated names by accident.
            if (name.Length > bestLength && model.Length > name.Length && model[name.Length] == '-'
                && model.StartsWith(name, StringComparison.OrdinalIgnoreCase))
            {
                bestLength = name.Length;
                price = candidate;
            }
        }

        return price is not null;
    }

    private static decimal Read(string path, JsonProperty model, string field)
    {
        if (!model.Value.TryGetProperty(field, out var value))
        {
            return field == "output_per_1m" ? 0m : throw new InvalidDataException($"{path}: \"{model.Name}\" has no {field}.");
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var number) || number < 0)
        {
            throw new InvalidDataException(
                string.Create(CultureInfo.InvariantCulture, $"{path}: \"{model.Name}\".{field} must be a non-negative number (was {value.GetRawText()})."));
        }

        return number;
    }
}

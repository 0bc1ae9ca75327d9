using System.Collections.Frozen;

namespace LlmBatch.Cost;

/// <summary>
/// Token prices per model, to put a cost on a run before (estimate), during (live spend, <c>--max-cost</c>) and after it
/// (report). <see cref="BuiltIn"/> holds OpenAI's standard-tier list prices (online, cached prompt, Batch API,
/// embeddings) as of <see cref="AsOf"/>; <see cref="Load"/> lays a price file over it, in LlmBatch's own format or
/// LiteLLM's <c>model_prices_and_context_window.json</c> as it is. A model matches its own name or, failing that, the
/// longest listed name followed by <c>-</c>, so dated snapshots such as <c>gpt-4o-mini-2024-07-18</c> take their
/// family's price. A model that matches nothing has no price: its cost is unknown, never zero.
/// </summary>
public sealed class PriceTable
{
    private static readonly Lazy<PriceTable> s_builtIn = new(LoadBuiltIn, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly FrozenDictionary<string, ModelPrice> _prices;

    internal PriceTable(IDictionary<string, ModelPrice> prices, string source, DateOnly? asOf)
    {
        _prices = prices.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        Source = source;
        AsOf = asOf;
    }

    /// <summary>
    /// OpenAI's standard-tier list prices (USD per million tokens) for its common chat and embedding models, with their
    /// cached-prompt and Batch API prices, as of <see cref="AsOf"/>. They change: check them, and override them with
    /// <see cref="Load"/>. The table is <c>src/LlmBatch/Cost/prices.json</c> (see docs/cost.md to update it).
    /// </summary>
    public static PriceTable BuiltIn => s_builtIn.Value;

    /// <summary>Where the prices came from, for estimates and reports.</summary>
    public string Source { get; }

    /// <summary>The date the prices were taken, when the table says; a price file without a date leaves the built-in date.</summary>
    public DateOnly? AsOf { get; }

    /// <summary>The models listed.</summary>
    public IReadOnlyCollection<string> Models => _prices.Keys;

    /// <summary>
    /// Reads a price file and lays it over <see cref="BuiltIn"/> (its models replace or add to the built-in ones).
    /// Accepted: LlmBatch's format, <c>{"as_of":"2025-08-07","models":{"gpt-4o-mini":{"input_per_1m":0.15,"output_per_1m":0.6,…}}}</c>
    /// or the same model map without the wrapper; and LiteLLM's <c>model_prices_and_context_window.json</c> unchanged
    /// (per-token prices; entries without a token price, such as image models, are skipped).
    /// </summary>
    /// <param name="path">The JSON file.</param>
    /// <returns>The combined table.</returns>
    /// <exception cref="InvalidDataException">The file is not valid; the message names the file and the field.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static PriceTable Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return PriceFileReader.Read(File.ReadAllBytes(path), path, BuiltIn);
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

        if (price is null && model.StartsWith("local/", StringComparison.OrdinalIgnoreCase))
        {
            // The embedded model runs in this process: it costs nothing.
            price = Free;
        }

        return price is not null;
    }

    private static readonly ModelPrice Free = new(0m, 0m);

    private static PriceTable LoadBuiltIn()
    {
        using var stream = typeof(PriceTable).Assembly.GetManifestResourceStream("LlmBatch.Cost.prices.json")
            ?? throw new InvalidOperationException("The built-in price table is missing from the assembly.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return PriceFileReader.Read(buffer.ToArray(), "built-in", over: null);
    }
}

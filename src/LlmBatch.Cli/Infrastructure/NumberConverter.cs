using System.Globalization;
using System.Numerics;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// <c>--rpm 500</c>: a number of type <typeparamref name="T"/>, read with the invariant culture; whole numbers for
/// integer types. Ranges are checked by the settings, with the flag's own bounds.
/// </summary>
internal sealed class NumberConverter<T> : FlagValueConverter<T>
    where T : INumber<T>
{
    private static readonly bool Whole = typeof(T).GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IBinaryInteger<>));

    /// <inheritdoc />
    public override T Parse(string text) =>
        T.TryParse(text.Trim(), Whole ? NumberStyles.Integer : NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FlagValueException(text, Whole ? "is not a valid whole number" : "is not a valid number");
}

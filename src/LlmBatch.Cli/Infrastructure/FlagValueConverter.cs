using System.ComponentModel;
using System.Globalization;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// The base of the command line's converters: each reads one kind of value (a duration, a size, a choice, a number)
/// from its text once, when Spectre binds the settings, and refuses anything else with a <see cref="FlagValueException"/>
/// that says what was expected. Ranges are the settings' <c>Validate</c>'s business, on the typed values.
/// </summary>
internal abstract class FlagValueConverter<T> : TypeConverter
{
    /// <inheritdoc />
    public sealed override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) =>
        sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    /// <inheritdoc />
    public sealed override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text ? Parse(text) : base.ConvertFrom(context, culture, value);

    /// <summary>The value <paramref name="text"/> says; throws a <see cref="FlagValueException"/> when it is not one.</summary>
    public abstract T Parse(string text);
}

using System.Buffers.Binary;
using System.IO.Hashing;
using LlmBatch.Input;

namespace LlmBatch.Caching;

/// <summary>
/// What makes two requests the same request: the provider (its base URL), the endpoint and the body's meaning (see
/// <see cref="Compute(string, BatchRequest)"/>). A 128-bit hash; it never includes credentials.
/// </summary>
/// <param name="Value">The hash.</param>
public readonly record struct RequestKey(UInt128 Value)
{
    /// <summary>The key's length in bytes, as stored.</summary>
    public const int Size = 16;

    /// <summary>
    /// Computes the key of a request sent to <paramref name="provider"/>. JSON key order, whitespace, string escapes and
    /// number spelling in the body do not change it.
    /// </summary>
    /// <param name="provider">Identifies the provider, for example its base URL; never a key or a secret.</param>
    /// <param name="request">The request.</param>
    /// <returns>The key.</returns>
    /// <exception cref="System.Text.Json.JsonException">The body is not valid JSON.</exception>
    public static RequestKey Compute(string provider, BatchRequest request)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(request);
        return Compute(ProviderHash(provider), request);
    }

    internal static UInt128 ProviderHash(string provider) =>
        XxHash128.HashToUInt128(System.Text.Encoding.UTF8.GetBytes(provider.Trim().TrimEnd('/')));

    internal static RequestKey Compute(UInt128 provider, BatchRequest request)
    {
        Span<byte> parts = stackalloc byte[(2 * Size) + 1];
        BinaryPrimitives.WriteUInt128LittleEndian(parts, provider);
        parts[Size] = (byte)request.Endpoint;
        BinaryPrimitives.WriteUInt128LittleEndian(parts[(Size + 1)..], CanonicalJson.Hash(request.Body.Span));
        return new RequestKey(XxHash128.HashToUInt128(parts));
    }

    /// <summary>The key as 16 bytes (little-endian), as a cache stores it.</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    public void WriteTo(Span<byte> destination) => BinaryPrimitives.WriteUInt128LittleEndian(destination, Value);

    /// <summary>Reads a key written by <see cref="WriteTo"/>.</summary>
    /// <param name="source">At least <see cref="Size"/> bytes.</param>
    /// <returns>The key.</returns>
    public static RequestKey Read(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt128LittleEndian(source));

    /// <summary>A 64-bit fold for compact sets, where a rare collision only costs memory, never a wrong answer.</summary>
    internal ulong Fold => (ulong)Value ^ (ulong)(Value >> 64);

    /// <inheritdoc />
    public override string ToString() => Value.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);
}

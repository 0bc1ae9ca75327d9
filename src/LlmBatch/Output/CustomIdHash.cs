using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace LlmBatch.Output;

/// <summary>
/// What a custom_id is known by without keeping its string, so memory stays flat however many items a file holds.
/// <see cref="Key(string)"/>, the identity of the done-set and of the uniqueness check, is the first 128 bits of the
/// SHA-256 of the id's UTF-8 bytes: two different ids share it with a chance of 2^-128 per pair (nothing at all for any
/// real file), and, the hash being cryptographic, no one can make two ids share it on purpose. A 64-bit hash was not
/// enough: a pair of colliding ids can be searched out in an hour, and one of them was then taken for done and never
/// sent. <see cref="Compute(string)"/>, a 64-bit XxHash3, only names output lines (<c>batch_req_…</c>).
/// </summary>
internal static class CustomIdHash
{
    /// <summary>The prefix of every output line id, as in the provider's Batch API output.</summary>
    public const string IdPrefix = "batch_req_";

    /// <summary>Length in bytes of an id: the prefix and 16 hex digits.</summary>
    public const int IdLength = 26;

    /// <summary>The identity of a custom_id given as UTF-8 bytes.</summary>
    public static UInt128 Key(ReadOnlySpan<byte> utf8)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8, digest);
        return BinaryPrimitives.ReadUInt128LittleEndian(digest);
    }

    /// <summary>The identity of a custom_id; the same value as for its UTF-8 encoding.</summary>
    public static UInt128 Key(string customId)
    {
        ArgumentNullException.ThrowIfNull(customId);
        var max = Encoding.UTF8.GetMaxByteCount(customId.Length);
        if (max <= 512)
        {
            Span<byte> stack = stackalloc byte[512];
            return Key(stack[..Encoding.UTF8.GetBytes(customId, stack)]);
        }

        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            return Key(rented.AsSpan(0, Encoding.UTF8.GetBytes(customId, rented)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Hashes UTF-8 bytes of a custom_id to 64 bits: the output line's name, not its identity.</summary>
    public static ulong Compute(ReadOnlySpan<byte> utf8) => XxHash3.HashToUInt64(utf8);

    /// <summary>Hashes a custom_id; the same value as hashing its UTF-8 encoding.</summary>
    public static ulong Compute(string customId)
    {
        ArgumentNullException.ThrowIfNull(customId);
        var max = Encoding.UTF8.GetMaxByteCount(customId.Length);
        if (max <= 512)
        {
            Span<byte> stack = stackalloc byte[512];
            var n = Encoding.UTF8.GetBytes(customId, stack);
            return Compute(stack[..n]);
        }

        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var n = Encoding.UTF8.GetBytes(customId, rented);
            return Compute(rented.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The output line id for a custom_id: <c>batch_req_</c> and 16 lowercase hex digits.</summary>
    public static string ToResultId(string customId)
    {
        Span<byte> utf8 = stackalloc byte[IdLength];
        FormatResultId(Compute(customId), utf8);
        return Encoding.ASCII.GetString(utf8);
    }

    /// <summary>Writes the id for <paramref name="hash"/> as ASCII into <paramref name="destination"/> (at least <see cref="IdLength"/> bytes).</summary>
    public static void FormatResultId(ulong hash, Span<byte> destination)
    {
        "batch_req_"u8.CopyTo(destination);
        hash.TryFormat(destination[IdPrefix.Length..], out _, "x16", null);
    }
}

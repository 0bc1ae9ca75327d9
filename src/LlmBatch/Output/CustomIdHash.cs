using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace LlmBatch;

/// <summary>
/// The 64-bit XxHash3 of a custom_id's UTF-8 bytes: the compact key of the checkpoint's done-set and the
/// source of the stable <c>batch_req_…</c> line id. Strings are never kept per item, so memory stays flat.
/// </summary>
internal static class CustomIdHash
{
    /// <summary>The prefix of every output line id, as in the provider's Batch API output.</summary>
    public const string IdPrefix = "batch_req_";

    /// <summary>Length in bytes of an id: the prefix and 16 hex digits.</summary>
    public const int IdLength = 26;

    /// <summary>Hashes UTF-8 bytes of a custom_id.</summary>
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

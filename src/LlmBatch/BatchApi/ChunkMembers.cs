using System.Buffers.Binary;
using LlmBatch.Output;

namespace LlmBatch.BatchApi;

/// <summary>
/// The custom_ids of a chunk, beside its file as <c>chunk-NNNN.ids</c>: one (custom_id key, input line) pair of
/// 24 bytes per request (the 128-bit key of <see cref="CustomIdHash.Key(string)"/>, the line as 64 bits). Tells which items a running batch holds (they are not sent again) and gives each merged
/// line its input line number.
/// </summary>
internal static class ChunkMembers
{
    private const int EntrySize = 24;

    public static string PathFor(string chunkFile) => Path.ChangeExtension(chunkFile, ".ids");

    /// <summary>Appends one member to an open sidecar.</summary>
    public static void Write(Stream sidecar, UInt128 customIdKey, long line)
    {
        Span<byte> entry = stackalloc byte[EntrySize];
        BinaryPrimitives.WriteUInt128LittleEndian(entry, customIdKey);
        BinaryPrimitives.WriteInt64LittleEndian(entry[16..], line);
        sidecar.Write(entry);
    }

    /// <summary>Reads every member; false when the sidecar is missing.</summary>
    public static async Task<bool> ReadAsync(string sidecarPath, Action<UInt128, long> member, CancellationToken cancellationToken)
    {
        if (!File.Exists(sidecarPath))
        {
            return false;
        }

        var stream = new FileStream(sidecarPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[EntrySize * 4096];
            var filled = 0;
            while (true)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                filled += read;
                var whole = filled / EntrySize * EntrySize;
                for (var i = 0; i < whole; i += EntrySize)
                {
                    member(BinaryPrimitives.ReadUInt128LittleEndian(buffer.AsSpan(i)), BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(i + 16)));
                }

                buffer.AsSpan(whole, filled - whole).CopyTo(buffer);
                filled -= whole;
                if (read == 0)
                {
                    return true;
                }
            }
        }
    }
}

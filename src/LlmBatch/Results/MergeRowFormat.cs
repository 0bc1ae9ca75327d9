using System.Runtime.InteropServices;

namespace LlmBatch.Results;

/// <summary>
/// How a <see cref="MergeRow"/> is spilled to a sort run and read back: a private binary layout, written and read
/// by this one process, so it needs no version and no portability beyond the machine it runs on.
/// </summary>
internal static class MergeRowFormat
{
    public static void Write(BinaryWriter w, MergeRow row)
    {
        WriteText(w, row.CustomId);
        w.Write(row.Line);
        w.Write(row.Sequence);
        w.Write(row.Rank);
        WriteString(w, row.Content);
        WriteString(w, row.FinishReason);
        WriteString(w, row.ErrorCode);
        WriteString(w, row.ErrorMessage);
        WriteLong(w, row.Usage.PromptTokens);
        WriteLong(w, row.Usage.CompletionTokens);
        WriteLong(w, row.Usage.TotalTokens);
        if (row.Metadata is { } meta)
        {
            w.Write(meta.Count);
            foreach (var kv in meta)
            {
                WriteText(w, kv.Key);
                WriteText(w, kv.Value);
            }
        }
        else
        {
            w.Write(-1);
        }

        if (row.Vectors is { } vectors)
        {
            w.Write(vectors.Length);
            foreach (var v in vectors)
            {
                w.Write(v.Length);
                w.Write(MemoryMarshal.AsBytes(v.AsSpan()));
            }
        }
        else
        {
            w.Write(-1);
        }
    }

    public static MergeRow Read(BinaryReader r)
    {
        var row = new MergeRow { CustomId = ReadText(r), Line = r.ReadInt64(), Sequence = r.ReadInt64() };
        row.Rank = r.ReadInt64();
        row.Content = ReadString(r);
        row.FinishReason = ReadString(r);
        row.ErrorCode = ReadString(r);
        row.ErrorMessage = ReadString(r);
        row.Usage = new ResultUsage(ReadLong(r), ReadLong(r), ReadLong(r));
        var metaCount = r.ReadInt32();
        if (metaCount >= 0)
        {
            var meta = new KeyValuePair<string, string>[metaCount];
            for (var i = 0; i < metaCount; i++)
            {
                meta[i] = new(ReadText(r), ReadText(r));
            }

            row.Metadata = meta;
        }

        var vectorCount = r.ReadInt32();
        if (vectorCount >= 0)
        {
            var vectors = new float[vectorCount][];
            for (var i = 0; i < vectorCount; i++)
            {
                var v = new float[r.ReadInt32()];
                r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(v.AsSpan()));
                vectors[i] = v;
            }

            row.Vectors = vectors;
        }

        return row;
    }

    /// <summary>Roughly the bytes the row holds in memory: what the sort buffer counts against its budget.</summary>
    public static long EstimateSize(MergeRow row)
    {
        long size = 160 + (2L * row.CustomId.Length) + (2L * (row.Content?.Length ?? 0)) + (2L * (row.ErrorMessage?.Length ?? 0));
        if (row.Metadata is { } meta)
        {
            foreach (var kv in meta)
            {
                size += 64 + (2L * (kv.Key.Length + kv.Value.Length));
            }
        }

        if (row.Vectors is { } vectors)
        {
            foreach (var v in vectors)
            {
                size += 32 + (4L * v.Length);
            }
        }

        return size;
    }

    private static void WriteString(BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null)
        {
            WriteText(w, value);
        }
    }

    private static string? ReadString(BinaryReader r) => r.ReadBoolean() ? ReadText(r) : null;

    // UTF-16 as it is, not BinaryWriter's UTF-8: model output may hold an unpaired surrogate, which UTF-8 would
    // turn into U+FFFD, and the merged file must carry what the results file carried.
    private static void WriteText(BinaryWriter w, string value)
    {
        w.Write(value.Length);
        w.Write(MemoryMarshal.AsBytes(value.AsSpan()));
    }

    private static string ReadText(BinaryReader r)
    {
        var length = r.ReadInt32();
        return string.Create(length, r.BaseStream, static (chars, stream) => stream.ReadExactly(MemoryMarshal.AsBytes(chars)));
    }

    private static void WriteLong(BinaryWriter w, long? value)
    {
        w.Write(value.HasValue);
        if (value is { } v)
        {
            w.Write(v);
        }
    }

    private static long? ReadLong(BinaryReader r) => r.ReadBoolean() ? r.ReadInt64() : null;
}

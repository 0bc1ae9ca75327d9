using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace LlmBatch.Json;

/// <summary>
/// Finds a key given twice in one object, at any depth of a JSON value. RFC 8259 leaves the meaning of such an object
/// open and parsers disagree (most keep the last, some the first), so a line with one could be read one way here and
/// another way by the provider: a request counted, routed and logged as one model but run as another.
/// Keys are compared after unescaping (<c>"model"</c> and <c>"mod\u0065l"</c> are the same key). The check walks a value
/// in place of <see cref="Utf8JsonReader.Skip"/>, so a parser that skips values anyway pays no extra pass.
/// </summary>
internal static class JsonDuplicateKeys
{
    // Objects with more keys than this get a hash set; smaller ones are scanned, which allocates nothing.
    private const int ScanLimit = 16;

    // One set of buffers per thread, reused from line to line: the check allocates nothing for ordinary JSON.
    [ThreadStatic]
    private static Buffers? t_buffers;

    /// <summary>
    /// Scans <paramref name="json"/>; true with the path of the second occurrence (<c>messages[0].role</c>) when a key
    /// repeats. False for JSON without repeats, and for invalid JSON, which is the caller's parser's to report.
    /// </summary>
    public static bool TryFind(ReadOnlySpan<byte> json, out string path)
    {
        var reader = new Utf8JsonReader(json, JsonLimits.Reader);
        try
        {
            if (!reader.Read())
            {
                path = "";
                return false;
            }

            return TrySkip(ref reader, "", out path);
        }
        catch (JsonException)
        {
            path = "";
            return false;
        }
    }

    /// <summary>
    /// Moves <paramref name="reader"/> past the value it is on, as <see cref="Utf8JsonReader.Skip"/> does, checking
    /// every object inside it. True, with the repeated key's path under <paramref name="prefix"/>, when a key repeats;
    /// the reader is then left inside the value. Invalid JSON throws <see cref="JsonException"/>, as Skip would.
    /// </summary>
    public static bool TrySkip(ref Utf8JsonReader reader, string prefix, out string path)
    {
        path = "";
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return false;
        }

        var b = t_buffers ??= new Buffers();
        var depth = 0;
        var entryCount = 0;
        var namesUsed = 0;
        try
        {
            do
            {
                var token = reader.TokenType;
                if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    depth--;
                    entryCount = b.Frames[depth].FirstEntry;
                    namesUsed = b.Frames[depth].FirstName;
                    b.Frames[depth].Hashes = null;
                    if (depth == 0)
                    {
                        return false;
                    }

                    continue;
                }

                if (token == JsonTokenType.PropertyName)
                {
                    ref var frame = ref b.Frames[depth - 1];
                    var start = namesUsed;
                    namesUsed = AppendName(ref reader, b, namesUsed);
                    var name = b.Names.AsSpan(start, namesUsed - start);
                    var hash = XxHash3.HashToUInt64(name);
                    if (IsRepeat(frame, b.Entries, entryCount, b.Names, name, hash))
                    {
                        path = BuildPath(prefix, b, depth, Encoding.UTF8.GetString(name));
                        return true;
                    }

                    if (entryCount == b.Entries.Length)
                    {
                        Array.Resize(ref b.Entries, b.Entries.Length * 2);
                    }

                    b.Entries[entryCount] = new Entry(hash, start, namesUsed - start);
                    frame.CurrentKey = entryCount++;
                    if (entryCount - frame.FirstEntry > ScanLimit)
                    {
                        frame.Hashes ??= CollectHashes(b.Entries, frame.FirstEntry, entryCount - 1);
                        frame.Hashes.Add(hash);
                    }

                    continue;
                }

                if (depth > 0 && b.Frames[depth - 1].IsArray)
                {
                    b.Frames[depth - 1].Index++;
                }

                if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    if (depth == b.Frames.Length)
                    {
                        Array.Resize(ref b.Frames, b.Frames.Length * 2);
                    }

                    b.Frames[depth++] = new Frame
                    {
                        IsArray = token == JsonTokenType.StartArray,
                        Index = -1,
                        CurrentKey = -1,
                        FirstEntry = entryCount,
                        FirstName = namesUsed,
                    };
                }
            }
            while (reader.Read());

            // Only reachable with a reader that ran out of input inside the value; the parser reports it.
            return false;
        }
        finally
        {
            for (var i = 0; i < depth; i++)
            {
                b.Frames[i].Hashes = null;
            }

            // A huge name buffer is not kept alive by one odd line.
            if (b.Names.Length > 64 * 1024)
            {
                t_buffers = null;
            }
        }
    }

    private static bool IsRepeat(in Frame frame, Entry[] entries, int entryCount, byte[] names, ReadOnlySpan<byte> name, ulong hash)
    {
        if (frame.Hashes is { } hashes && !hashes.Contains(hash))
        {
            return false;
        }

        for (var i = frame.FirstEntry; i < entryCount; i++)
        {
            var e = entries[i];
            if (e.Hash == hash && names.AsSpan(e.Offset, e.Length).SequenceEqual(name))
            {
                return true;
            }
        }

        return false;
    }

    private static HashSet<ulong> CollectHashes(Entry[] entries, int from, int to)
    {
        var set = new HashSet<ulong>();
        for (var i = from; i < to; i++)
        {
            set.Add(entries[i].Hash);
        }

        return set;
    }

    // Appends the unescaped name; one holding a lone surrogate escape is kept raw behind a 0xFF byte, which no
    // unescaped (valid UTF-8) name contains, so it can only equal the same raw spelling.
    private static int AppendName(ref Utf8JsonReader reader, Buffers b, int used)
    {
        var raw = reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan;
        var room = raw.Length + 1;
        if (used + room > b.Names.Length)
        {
            Array.Resize(ref b.Names, Math.Max(b.Names.Length * 2, used + room));
        }

        if (!reader.ValueIsEscaped)
        {
            raw.CopyTo(b.Names.AsSpan(used));
            return used + raw.Length;
        }

        try
        {
            return used + reader.CopyString(b.Names.AsSpan(used));
        }
        catch (InvalidOperationException)
        {
            b.Names[used] = 0xFF;
            raw.CopyTo(b.Names.AsSpan(used + 1));
            return used + room;
        }
    }

    private static string BuildPath(string prefix, Buffers b, int depth, string repeated)
    {
        var sb = new StringBuilder(prefix);
        for (var i = 0; i < depth - 1; i++)
        {
            var f = b.Frames[i];
            if (f.IsArray)
            {
                sb.Append('[').Append(f.Index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else
            {
                var key = b.Entries[f.CurrentKey];
                if (sb.Length > 0)
                {
                    sb.Append('.');
                }

                sb.Append(Encoding.UTF8.GetString(b.Names, key.Offset, key.Length));
            }
        }

        if (sb.Length > 0)
        {
            sb.Append('.');
        }

        return sb.Append(repeated).ToString();
    }

    private struct Frame
    {
        public bool IsArray;
        public int Index;
        public int CurrentKey;
        public int FirstEntry;
        public int FirstName;
        public HashSet<ulong>? Hashes;
    }

    private readonly record struct Entry(ulong Hash, int Offset, int Length);

    private sealed class Buffers
    {
        public Frame[] Frames = new Frame[16];
        public Entry[] Entries = new Entry[64];
        public byte[] Names = new byte[1024];
    }
}

using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace LlmBatch;

/// <summary>
/// Finds a key given twice in one object, at any depth of a JSON value. RFC 8259 leaves the meaning of such an object
/// open and parsers disagree (most keep the last, some the first), so a line with one could be read one way here and
/// another way by the provider: a request counted, routed and logged as one model but run as another.
/// Keys are compared after unescaping (<c>"model"</c> and <c>"mod\u0065l"</c> are the same key).
/// </summary>
internal static class JsonDuplicateKeys
{
    // Objects with more keys than this get a hash set; smaller ones are scanned, which allocates nothing.
    private const int ScanLimit = 16;

    /// <summary>
    /// Scans <paramref name="json"/>; true with the path of the second occurrence (<c>body.messages[0].role</c>) when
    /// a key repeats. False for JSON without repeats, and for invalid JSON, which is the caller's parser's to report.
    /// </summary>
    public static bool TryFind(ReadOnlySpan<byte> json, out string path)
    {
        path = "";
        var reader = new Utf8JsonReader(json, JsonLimits.Reader);
        var frames = ArrayPool<Frame>.Shared.Rent(16);
        var entries = ArrayPool<Entry>.Shared.Rent(64);
        var names = ArrayPool<byte>.Shared.Rent(1024);
        var depth = 0;
        var entryCount = 0;
        var namesUsed = 0;
        try
        {
            while (reader.Read())
            {
                var token = reader.TokenType;
                if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    depth--;
                    entryCount = frames[depth].FirstEntry;
                    namesUsed = frames[depth].FirstName;
                    continue;
                }

                if (token == JsonTokenType.PropertyName)
                {
                    ref var frame = ref frames[depth - 1];
                    var start = namesUsed;
                    namesUsed = AppendName(ref reader, ref names, namesUsed);
                    var name = names.AsSpan(start, namesUsed - start);
                    var hash = XxHash3.HashToUInt64(name);
                    if (IsRepeat(frame, entries, entryCount, names, name, hash))
                    {
                        path = BuildPath(frames, depth, entries, names, Encoding.UTF8.GetString(name));
                        return true;
                    }

                    if (entryCount == entries.Length)
                    {
                        entries = Grow(entries);
                    }

                    entries[entryCount] = new Entry(hash, start, namesUsed - start);
                    frame.CurrentKey = entryCount++;
                    if (entryCount - frame.FirstEntry > ScanLimit)
                    {
                        frame.Hashes ??= CollectHashes(entries, frame.FirstEntry, entryCount - 1);
                        frame.Hashes.Add(hash);
                    }

                    continue;
                }

                if (depth > 0 && frames[depth - 1].IsArray)
                {
                    frames[depth - 1].Index++;
                }

                if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    if (depth == frames.Length)
                    {
                        frames = Grow(frames);
                    }

                    frames[depth++] = new Frame
                    {
                        IsArray = token == JsonTokenType.StartArray,
                        Index = -1,
                        CurrentKey = -1,
                        FirstEntry = entryCount,
                        FirstName = namesUsed,
                    };
                }
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
        finally
        {
            ArrayPool<Frame>.Shared.Return(frames, clearArray: true);
            ArrayPool<Entry>.Shared.Return(entries);
            ArrayPool<byte>.Shared.Return(names);
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
    private static int AppendName(ref Utf8JsonReader reader, ref byte[] names, int used)
    {
        var raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        var room = raw.Length + 1;
        if (used + room > names.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(names.Length * 2, used + room));
            names.AsSpan(0, used).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(names);
            names = bigger;
        }

        if (!reader.ValueIsEscaped)
        {
            raw.CopyTo(names.AsSpan(used));
            return used + raw.Length;
        }

        try
        {
            return used + reader.CopyString(names.AsSpan(used));
        }
        catch (InvalidOperationException)
        {
            names[used] = 0xFF;
            raw.CopyTo(names.AsSpan(used + 1));
            return used + room;
        }
    }

    private static string BuildPath(Frame[] frames, int depth, Entry[] entries, byte[] names, string repeated)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < depth - 1; i++)
        {
            var f = frames[i];
            if (f.IsArray)
            {
                sb.Append('[').Append(f.Index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else
            {
                var key = entries[f.CurrentKey];
                if (sb.Length > 0)
                {
                    sb.Append('.');
                }

                sb.Append(Encoding.UTF8.GetString(names, key.Offset, key.Length));
            }
        }

        if (sb.Length > 0)
        {
            sb.Append('.');
        }

        return sb.Append(repeated).ToString();
    }

    private static T[] Grow<T>(T[] array)
    {
        var bigger = ArrayPool<T>.Shared.Rent(array.Length * 2);
        array.AsSpan().CopyTo(bigger);
        ArrayPool<T>.Shared.Return(array, clearArray: true);
        return bigger;
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
}

using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;
using LlmBatch.Json;

namespace LlmBatch.Output;

/// <summary>
/// The checkpoint's fast path over an output line: validates the whole line but extracts only the key of
/// its custom_id (<see cref="CustomIdHash.Key(string)"/>) and whether it is a success, skipping bodies without
/// materialising them.
/// </summary>
internal static class OutputLineScanner
{
    /// <summary>
    /// Scans a line. Returns false when it is not one complete JSON object with a string custom_id
    /// (a torn or corrupt line). A success is <c>error</c> null (or absent) and a 2xx <c>response.status_code</c>.
    /// </summary>
    public static bool TryScan(ReadOnlySpan<byte> line, out UInt128 idKey, out bool success)
    {
        idKey = 0;
        success = false;

        // Output files are UTF-8 (the writer makes sure of it); a line that is not was damaged, and the parser that
        // report and merge use would reject it: resume must not count it as done.
        if (!Utf8.IsValid(line))
        {
            return false;
        }

        var reader = new Utf8JsonReader(line, OutputLineParser.ReaderOptions);
        var haveId = false;
        var status = 0;
        var hasError = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (JsonText.Is(ref reader, "custom_id"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return false;
                    }

                    idKey = KeyOfString(ref reader);
                    haveId = true;
                }
                else if (JsonText.Is(ref reader, "response"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        status = ReadStatus(ref reader);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (JsonText.Is(ref reader, "error"u8))
                {
                    reader.Read();
                    hasError = reader.TokenType != JsonTokenType.Null;
                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        catch (FormatException)
        {
            return false;
        }

        success = !hasError && status is >= 200 and < 300;
        return haveId;
    }

    /// <summary>The key of the string the reader is on, unescaping it first when the file escaped it.</summary>
    internal static UInt128 KeyOfString(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            return CustomIdHash.Key(reader.ValueSpan);
        }

        var max = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(max, 16));
        try
        {
            var n = reader.CopyString(rented);
            return CustomIdHash.Key(rented.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// An HTTP status as other tools may write it (<c>200</c>, <c>200.0</c>); anything that is not a three-digit
    /// whole number makes the line invalid.
    /// </summary>
    internal static int ReadStatusCode(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Null ? 0
        : JsonText.TryGetInteger(ref reader, out var n) && n is >= 100 and <= 999 ? (int)n
        : throw new FormatException("status_code must be a whole number between 100 and 999");

    private static int ReadStatus(ref Utf8JsonReader reader)
    {
        var status = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (JsonText.Is(ref reader, "status_code"u8))
            {
                reader.Read();
                status = ReadStatusCode(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return status;
    }
}

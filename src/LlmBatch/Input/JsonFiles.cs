using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlmBatch.Input;

/// <summary>JSON writer settings for the files LlmBatch writes for people to read.</summary>
internal static class JsonFiles
{
    /// <summary>
    /// Keeps apostrophes, accents and non-Latin text readable instead of <c>\u0027</c> escapes. Safe here: these are
    /// JSONL files, never embedded in HTML, and the JSON stays valid.
    /// </summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

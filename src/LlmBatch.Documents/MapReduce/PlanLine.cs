using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch.Documents;

/// <summary>
/// One line of a reduce level's plan (<c>OUTPUT.reduce-N.plan.jsonl</c>): a reduce request and the chunks it covers,
/// whether it is the document's final answer, and what it lacks; or, with <see cref="Failed"/>, a document none of
/// whose parts succeeded. The next level and the final assembly read the plan instead of re-deriving it.
/// </summary>
internal sealed record PlanLine
{
    public string? CustomId { get; init; }

    public required string Path { get; init; }

    public int First { get; init; }

    public int Last { get; init; }

    public int Chunks { get; init; }

    public bool Final { get; init; }

    public bool Failed { get; init; }

    public List<string> Missing { get; init; } = [];

    /// <summary>The level the line was read from (not stored).</summary>
    public int Level { get; init; }

    public static async IAsyncEnumerable<PlanLine> ReadAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        var reader = JsonlLineReader.Open(path);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var number = reader.LineNumber;
            if (reader.IsBlank)
            {
                continue;
            }

            reader.ThrowIfProblem();

            PlanLine? line;
            try
            {
                using var doc = JsonDocument.Parse(reader.Line);
                var root = doc.RootElement;
                line = new PlanLine
                {
                    CustomId = root.TryGetProperty("custom_id", out var id) ? id.GetString() : null,
                    Path = root.GetProperty("path").GetString()!,
                    First = root.GetProperty("first").GetInt32(),
                    Last = root.GetProperty("last").GetInt32(),
                    Chunks = root.GetProperty("chunks").GetInt32(),
                    Final = root.TryGetProperty("final", out var f) && f.GetBoolean(),
                    Failed = root.TryGetProperty("failed", out var x) && x.GetBoolean(),
                    Missing = root.TryGetProperty("missing", out var m) ? [.. m.EnumerateArray().Select(e => e.GetString()!)] : [],
                };
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new BatchInputException(new BatchInputError(path, number, "", $"not a reduce plan line ({ex.Message})"));
            }

            yield return line;
        }
    }

    public void Write(IBufferWriter<byte> output)
    {
        using (var w = new Utf8JsonWriter(output, JsonFiles.WriterOptions))
        {
            w.WriteStartObject();
            if (CustomId is not null)
            {
                w.WriteString("custom_id"u8, CustomId);
            }

            w.WriteString("path"u8, Path);
            w.WriteNumber("first"u8, First);
            w.WriteNumber("last"u8, Last);
            w.WriteNumber("chunks"u8, Chunks);
            w.WriteBoolean("final"u8, Final);
            if (Failed)
            {
                w.WriteBoolean("failed"u8, true);
            }

            w.WriteStartArray("missing"u8);
            foreach (var m in Missing)
            {
                w.WriteStringValue(m);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        output.Write("\n"u8);
    }
}

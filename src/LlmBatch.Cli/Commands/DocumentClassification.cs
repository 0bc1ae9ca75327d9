using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using LlmBatch.Documents;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Results;

namespace LlmBatch.Cli.Commands;

/// <summary>
/// <c>classify</c> over documents: every chunk is classified as an item, then each document gets one label. By
/// embeddings, the document's vector is the mean of its chunks' vectors (as the Parquet document vectors); by chat,
/// the label most of its chunks got, the earliest chunk breaking a tie.
/// </summary>
internal static class DocumentClassification
{
    /// <summary>Writes the label requests (for embeddings) and one request per chunk of the documents.</summary>
    internal static async Task WriteRequestsAsync(InputSettings settings, string requestsPath, string resultsPath, IEnumerable<string> labelLines, BatchInputConversionOptions conversion, CancellationToken ct)
    {
        var documentsOnly = requestsPath + ".chunks.jsonl";
        await DocumentRun.PrepareAsync(settings, conversion, documentsOnly, null, resultsPath, null, Console.Error, ct).ConfigureAwait(false);
        var combined = requestsPath + ".tmp";
        var output = new FileStream(combined, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        await using (output.ConfigureAwait(false))
        {
            foreach (var line in labelLines)
            {
                await output.WriteAsync(Encoding.UTF8.GetBytes(line), ct).ConfigureAwait(false);
            }

            var chunks = File.OpenRead(documentsOnly);
            await using (chunks.ConfigureAwait(false))
            {
                await chunks.CopyToAsync(output, ct).ConfigureAwait(false);
            }
        }

        File.Delete(documentsOnly);
        await RequestFileSync.ReplaceAsync(combined, requestsPath, resultsPath, ct).ConfigureAwait(false);
    }

    /// <summary>The label lines as they are, then one result per document (custom_id = its path), in document order.</summary>
    internal static async IAsyncEnumerable<BatchResult> PerDocumentAsync(IAsyncEnumerable<BatchResult> results, string manifest, IReadOnlyList<string> labels, bool chat, [EnumeratorCancellation] CancellationToken ct)
    {
        var byId = new Dictionary<string, BatchResult>(StringComparer.Ordinal);
        await foreach (var r in results.WithCancellation(ct).ConfigureAwait(false))
        {
            if (r.CustomId.StartsWith(BatchResultsMerger.LabelIdPrefix, StringComparison.Ordinal))
            {
                yield return r;
            }
            else
            {
                byId[r.CustomId] = r;
            }
        }

        var chunks = new List<BatchResult>();
        long ordinal = 0;
        await foreach (var entry in DocumentManifest.ReadAsync(manifest, includeText: false, ct).ConfigureAwait(false))
        {
            if (entry.IsChunk && byId.TryGetValue(entry.CustomId!, out var result) && result.IsSuccess)
            {
                chunks.Add(result);
            }
            else if (entry.IsDocumentEnd)
            {
                yield return Combine(entry.Path, ++ordinal, chunks, labels, chat);
                chunks.Clear();
            }
        }
    }

    private static BatchResult Combine(string path, long ordinal, List<BatchResult> chunks, IReadOnlyList<string> labels, bool chat)
    {
        byte[]? body = null;
        if (chat)
        {
            // The label most chunks gave; the earliest chunk decides a tie.
            var votes = new Dictionary<string, (int Count, int First)>(StringComparer.Ordinal);
            for (var i = 0; i < chunks.Count; i++)
            {
                if (ResultContent.TryReadText(chunks[i].ResponseBody, out var answer, out _) && ResultContent.MatchLabel(answer, labels) is { } label)
                {
                    votes[label] = votes.TryGetValue(label, out var v) ? (v.Count + 1, v.First) : (1, i);
                }
            }

            if (votes.Count > 0)
            {
                var winner = votes.OrderByDescending(v => v.Value.Count).ThenBy(v => v.Value.First).First().Key;
                body = JsonSerializer.SerializeToUtf8Bytes(new { choices = new[] { new { index = 0, message = new { role = "assistant", content = winner }, finish_reason = "stop" } } });
            }
        }
        else
        {
            double[]? sum = null;
            foreach (var c in chunks)
            {
                if (ResultContent.TryReadEmbeddings(c.ResponseBody, out var vectors) && vectors.Length == 1)
                {
                    sum ??= new double[vectors[0].Length];
                    for (var i = 0; i < sum.Length && i < vectors[0].Length; i++)
                    {
                        sum[i] += vectors[0][i];
                    }
                }
            }

            if (sum is not null)
            {
                body = JsonSerializer.SerializeToUtf8Bytes(new { data = new[] { new { index = 0, embedding = sum.Select(x => (float)(x / chunks.Count)).ToArray() } } });
            }
        }

        return new BatchResult
        {
            CustomId = path,
            Id = CustomIdHash.ToResultId(path),
            StatusCode = body is null ? 0 : 200,
            ResponseBody = body ?? ReadOnlyMemory<byte>.Empty,
            Error = body is null ? new BatchError("document_failed", "no chunk of the document was classified") : null,
            Stats = new BatchItemStats(),
            LineNumber = ordinal,
        };
    }
}

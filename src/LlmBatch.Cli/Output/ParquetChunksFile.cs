using LlmBatch.Documents;
using LlmBatch.Results;

namespace LlmBatch.Cli.Output;

/// <summary>
/// The RAG-ready output of a document embeddings run: <c>PREFIX.parquet</c> with one row per chunk (path, chunk
/// index, offsets, page, tokens, text, vector) in document order, and on request <c>PREFIX.documents.parquet</c> with
/// one mean-pooled vector per document. Written streaming: the manifest is read in order, each chunk's vector is
/// fetched from the results file by offset, and rows go out one row group at a time, so memory holds one row group
/// and the results file's index (24 bytes a line), whatever the corpus size.
/// </summary>
internal static class ParquetChunksFile
{
    /// <summary>Rows per row group: about 6 MB of 384-dimension vectors and their texts.</summary>
    internal const int RowGroupSize = 4096;

    /// <summary>What was written.</summary>
    internal sealed record Written(string ChunksPath, long Rows, long Missing, string? DocumentsPath, long Documents);

    /// <summary>Writes the chunk rows (and the document rows when <paramref name="documentVectors"/>).</summary>
    internal static async Task<Written> WriteAsync(string resultsPath, string manifestPath, string prefix, bool documentVectors, CancellationToken cancellationToken)
    {
        using var index = await OutputIndex.OpenAsync(resultsPath, cancellationToken).ConfigureAwait(false);
        var chunksPath = prefix + ".parquet";
        var documentsPath = documentVectors ? prefix + ".documents.parquet" : null;
        var chunks = new ParquetRowGroupWriter<ParquetChunkRow>(chunksPath, RowGroupSize);
        var documents = documentsPath is null ? null : new ParquetRowGroupWriter<ParquetDocumentRow>(documentsPath, RowGroupSize);
        long rows = 0, missing = 0;
        try
        {
            double[]? sum = null;
            var pooled = 0;
            await foreach (var entry in DocumentManifest.ReadAsync(manifestPath, includeText: true, cancellationToken).ConfigureAwait(false))
            {
                if (entry.IsDocumentEnd && documents is not null && sum is not null)
                {
                    await documents.AddAsync(new ParquetDocumentRow { Path = entry.Path, Chunks = pooled, Vector = UnitMean(sum) }, 4L * sum.Length, cancellationToken).ConfigureAwait(false);
                }

                if (!entry.IsChunk)
                {
                    sum = null;
                    pooled = 0;
                    continue;
                }

                var result = index.Find(entry.CustomId!);
                if (result is not { IsSuccess: true } || !ResultContent.TryReadEmbeddings(result.ResponseBody, out var vectors) || vectors.Length != 1)
                {
                    missing++;
                    continue;
                }

                var vector = vectors[0];
                if (documents is not null)
                {
                    sum ??= new double[vector.Length];
                    for (var i = 0; i < vector.Length && i < sum.Length; i++)
                    {
                        sum[i] += vector[i];
                    }

                    pooled++;
                }

                rows++;
                await chunks.AddAsync(new ParquetChunkRow
                {
                    Path = entry.Path,
                    Chunk = entry.Chunk,
                    CustomId = entry.CustomId!,
                    Start = entry.Start,
                    End = entry.End,
                    Overlap = entry.Overlap,
                    Page = entry.Page,
                    PageEnd = entry.LastPage,
                    Tokens = entry.Tokens,
                    Text = entry.Text ?? "",
                    Vector = vector,
                }, (4L * vector.Length) + (2L * (entry.Text?.Length ?? 0)), cancellationToken).ConfigureAwait(false);
            }

            await chunks.CompleteAsync(cancellationToken).ConfigureAwait(false);
            if (documents is not null)
            {
                await documents.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await chunks.DisposeAsync().ConfigureAwait(false);
            if (documents is not null)
            {
                await documents.DisposeAsync().ConfigureAwait(false);
            }
        }

        return new Written(chunksPath, rows, missing, documentsPath, documents?.Count ?? 0);
    }

    private static float[] UnitMean(double[] sum)
    {
        double norm = 0;
        foreach (var x in sum)
        {
            norm += x * x;
        }

        norm = Math.Sqrt(norm);
        var v = new float[sum.Length];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = norm > 0 ? (float)(sum[i] / norm) : 0f;
        }

        return v;
    }
}

using System.Globalization;
using LlmBatch.Cli.Commands;
using LlmBatch.Files;
using LlmBatch.Output;
using LlmBatch.Results;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// The merge shared by <c>merge</c>, <c>run --merge</c> and <c>classify</c>: where merged files go, what they must not
/// replace, the labels of a classification, the merge itself (documents too) and its printed report.
/// </summary>
internal static class ResultsMerge
{
    /// <summary>
    /// Refuses a prefix under which a merged file would replace one of <paramref name="keep"/> (the results being
    /// merged, the metadata), however the two are spelled: the merge would otherwise destroy what it reads.
    /// </summary>
    public static void CheckTargets(string prefix, params string?[] keep)
    {
        foreach (var extension in (ReadOnlySpan<string>)[".merged.jsonl", ".merged.csv", ".merged.parquet", ".npy", ".ids.txt", ".classes.csv", ".parquet"])
        {
            foreach (var file in keep)
            {
                if (file is not null && FileIdentity.SameFile(prefix + extension, file))
                {
                    throw new BatchOptionsException([$"merging would replace {file} with {prefix + extension}; choose another output prefix (-o)."]);
                }
            }
        }
    }

    /// <summary>Where merged files go by default: the results path without its extension.</summary>
    public static string DefaultPrefix(string resultsPath) =>
        Path.Combine(Path.GetDirectoryName(resultsPath) ?? "", Path.GetFileNameWithoutExtension(resultsPath));

    /// <summary>
    /// The merge behind <c>merge</c>, <c>run --merge</c> and <c>classify</c>: merges, writes the embeddings as Parquet
    /// too when asked, and prints the report.
    /// </summary>
    public static async Task<BatchMergeReport> MergeAndPrintAsync(IAsyncEnumerable<BatchResult> results, BatchMergeOptions options, bool parquet, TextWriter output, CancellationToken cancellationToken)
    {
        if (parquet && options.OutputPrefix is { } prefix)
        {
            // Written in the merge's one ordered pass, a row group at a time, never by reading the .npy back.
            options.ExtraOutput = kind => kind == BatchMergeKind.Text
                ? new Output.ParquetTextSink(Output.ParquetTextSink.PathFor(prefix))
                : new Output.ParquetEmbeddingsSink(Output.ParquetEmbeddingsFile.PathFor(prefix));
        }

        var report = await BatchResultsMerger.MergeAsync(results, options, cancellationToken).ConfigureAwait(false);
        Print(report, output);
        if (parquet && options.OutputPrefix is not null && report.Kind != BatchMergeKind.Text && report.EmbeddingRows == 0)
        {
            CliApp.Error("--parquet: the results hold no embeddings, so no Parquet file was written");
        }

        return report;
    }

    /// <summary>
    /// The merge of a run over documents: the usual merge (text in order, or .npy + ids), and with
    /// <paramref name="parquet"/> the RAG-ready Parquet of chunks from the manifest beside the results.
    /// </summary>
    /// <returns>Results that failed.</returns>
    public static async Task<long> MergeDocumentsAsync(string results, string manifest, string prefix, bool parquet, bool documentVectors, TextWriter output, CancellationToken cancellationToken)
    {
        var report = await MergeAndPrintAsync(BatchOutputFile.ReadAsync(results, cancellationToken), new BatchMergeOptions { OutputPrefix = prefix }, parquet: false, output, cancellationToken).ConfigureAwait(false);
        if (parquet && report.EmbeddingRows > 0)
        {
            var written = await Output.ParquetChunksFile.WriteAsync(results, manifest, prefix, documentVectors, cancellationToken).ConfigureAwait(false);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {written.ChunksPath}: {written.Rows} chunk row(s) (path, chunk, custom_id, start, end, overlap, page, page_end, tokens, text, vector){(written.Missing > 0 ? $"; {written.Missing} chunk(s) without a vector left out" : "")}"));
            if (written.DocumentsPath is not null)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {written.DocumentsPath}: {written.Documents} document row(s) (path, chunks, vector: the mean of the chunks' vectors, unit length)"));
            }
        }
        else if (parquet)
        {
            CliApp.Error("--parquet: the results hold no embeddings, so no Parquet file was written");
        }

        var skipped = await DocumentRun.ReadSkippedAsync(manifest, cancellationToken).ConfigureAwait(false);
        DocumentRun.WriteSkipped(skipped, skipped.Count, manifest, output);
        return report.Failed;
    }

    public static async Task<IReadOnlyList<ClassificationLabel>?> ReadLabelsAsync(string? list, string? file, CancellationToken cancellationToken)
    {
        if (list is not null && file is not null)
        {
            throw new BatchOptionsException(["Give either --labels or --labels-file, not both."]);
        }

        if (file is not null)
        {
            return await ClassificationLabel.ReadFileAsync(file, cancellationToken).ConfigureAwait(false);
        }

        if (list is not null)
        {
            try
            {
                return ClassificationLabel.ParseList(list);
            }
            catch (ArgumentException ex)
            {
                throw new BatchOptionsException([$"--labels: {ex.Message}"]);
            }
        }

        return null;
    }

    /// <summary>Prints the counts, errors by kind, files and, for a classification, distribution, accuracy and confusion.</summary>
    public static void Print(BatchMergeReport report, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"{report.Total} results: {report.Succeeded} succeeded, {report.Failed} failed"));
        foreach (var (kind, count) in report.ErrorsByKind)
        {
            output.WriteLine(string.Create(inv, $"  {kind}: {count}"));
        }

        if (report.Classification is { } c)
        {
            output.WriteLine();
            output.WriteLine("Label distribution:");
            var width = Math.Max(5, c.ConfusionLabels.Concat(c.Labels).Max(l => l.Length));
            foreach (var d in c.Distribution)
            {
                output.WriteLine(string.Create(inv, $"  {d.Label.PadRight(width)} {d.Count,6}  {d.Share,6:P1}"));
            }

            if (c.Accuracy is { } accuracy)
            {
                output.WriteLine();
                output.WriteLine(string.Create(inv, $"Accuracy: {accuracy:P1} ({c.WithGold} items with a gold label)"));
                output.WriteLine("Confusion matrix (rows: gold, columns: predicted):");
                output.WriteLine("  " + new string(' ', width) + string.Concat(c.ConfusionLabels.Select(l => " " + l.PadLeft(Math.Max(6, l.Length)))));
                for (var g = 0; g < c.ConfusionLabels.Count; g++)
                {
                    output.WriteLine("  " + c.ConfusionLabels[g].PadRight(width) + string.Concat(c.ConfusionMatrix![g].Select((n, p) => " " + n.ToString(inv).PadLeft(Math.Max(6, c.ConfusionLabels[p].Length)))));
                }
            }

            if (c.LeastConfident.Count > 0)
            {
                output.WriteLine();
                output.WriteLine("Least confident:");
                foreach (var i in c.LeastConfident)
                {
                    output.WriteLine(string.Create(inv, $"  {i.CustomId}: {i.Label} {i.Score:F3} vs {i.RunnerUp} {i.RunnerUpScore:F3}{(i.Gold is null ? "" : $" (gold {i.Gold})")}"));
                }
            }
        }

        if (report.EmbeddingRows > 0)
        {
            output.WriteLine(string.Create(inv, $"Embeddings: {report.EmbeddingRows} x {report.EmbeddingDimensions} float32"));
        }

        foreach (var f in report.FilesWritten)
        {
            output.WriteLine($"Wrote {f}");
        }
    }
}

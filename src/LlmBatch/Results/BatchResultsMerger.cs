using LlmBatch.Output;

namespace LlmBatch.Results;

/// <summary>
/// The results manager: turns a results file (one Batch API output line per custom_id, in completion order) into
/// what a user wants at the end: the text in input order, an embeddings matrix NumPy loads, or a classification
/// with its label distribution and accuracy; and always the successes and errors counted, errors grouped by kind.
/// Memory does not grow with the number of results: the rows are put in input order by an external sort
/// (<see cref="ResultOrdering"/>) and every output is written row by row in one ordered pass.
/// </summary>
public static class BatchResultsMerger
{
    /// <summary>
    /// The custom_id prefix of the lines that carry a label's own embedding in a classification run
    /// (<c>label:positive</c>); they are the reference vectors, not items.
    /// </summary>
    public const string LabelIdPrefix = "label:";

    /// <summary>Merges results read from any source, for example <c>BatchOutputFile.ReadAsync(path)</c>.</summary>
    /// <param name="results">The results, in any order.</param>
    /// <param name="options">What to produce and where.</param>
    /// <param name="cancellationToken">Stops the merge.</param>
    /// <returns>The counts, the files written and, for a classification, its report.</returns>
    /// <exception cref="BatchOptionsException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">The results cannot be merged as asked (for example a label's vector is missing).</exception>
    public static async Task<BatchMergeReport> MergeAsync(IAsyncEnumerable<BatchResult> results, BatchMergeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var reader = new ResultRowReader(options.Kind);
        var classifier = options.Kind == BatchMergeKind.Classification ? new ResultClassifier(options) : null;
        using var ordering = new ResultOrdering(options.TempDirectory, options.SortBufferBytes, options.SortFanIn);
        var ordered = await ordering.OrderAsync(results, reader, options.MetadataPath, row => classifier?.Observe(row), cancellationToken).ConfigureAwait(false);
        var kind = reader.Kind == BatchMergeKind.Auto ? BatchMergeKind.Text : reader.Kind;
        classifier?.Prepare(reader.AnyItemVectors);

        var prefix = options.OutputPrefix;
        var extra = options.ExtraOutput?.Invoke(kind);
        var text = kind == BatchMergeKind.Text && prefix is not null
            ? await MergedTextWriter.CreateAsync(prefix, options.TextFormat, ordering.MetadataColumns, cancellationToken).ConfigureAwait(false)
            : null;
        var embeddings = kind is BatchMergeKind.Embeddings or BatchMergeKind.Classification
            ? new EmbeddingsWriter(prefix, includeLabels: kind == BatchMergeKind.Embeddings, extra)
            : null;
        var classes = kind == BatchMergeKind.Classification && prefix is not null ? new ClassesCsvWriter(prefix + ".classes.csv") : null;
        try
        {
            var written = new List<string>();
            var errors = new MergeErrorCounts();
            foreach (var row in ordered)
            {
                cancellationToken.ThrowIfCancellationRequested();
                classifier?.Classify(row);
                errors.Add(row);
                if (text is not null)
                {
                    await text.WriteAsync(row, cancellationToken).ConfigureAwait(false);
                }

                if (kind == BatchMergeKind.Text && extra is not null)
                {
                    await extra.WriteRowAsync(row, cancellationToken).ConfigureAwait(false);
                }

                if (embeddings is not null)
                {
                    await embeddings.WriteAsync(row, cancellationToken).ConfigureAwait(false);
                }

                if (classes is not null)
                {
                    await classes.WriteAsync(row, cancellationToken).ConfigureAwait(false);
                }
            }

            if (text is not null)
            {
                await text.CompleteAsync().ConfigureAwait(false);
                written.Add(text.Path);
            }

            if (embeddings is not null)
            {
                await embeddings.CompleteAsync(written).ConfigureAwait(false);
            }

            if (classes is not null)
            {
                await classes.CompleteAsync().ConfigureAwait(false);
                written.Add(classes.Path);
            }

            if (extra is not null && await extra.CompleteAsync(cancellationToken).ConfigureAwait(false) is { } extraPath)
            {
                written.Add(extraPath);
            }

            return new BatchMergeReport
            {
                Kind = kind,
                Total = errors.Total,
                Succeeded = errors.Total - errors.Failed,
                Failed = errors.Failed,
                ErrorsByKind = errors.ByKind(),
                FilesWritten = written,
                EmbeddingRows = embeddings?.Rows ?? 0,
                EmbeddingDimensions = Math.Max(0, embeddings?.Dimensions ?? 0),
                Classification = classifier?.Build(),
            };
        }
        finally
        {
            await DisposeAsync(text, embeddings, classes, extra).ConfigureAwait(false);
        }
    }

    private static async Task DisposeAsync(params IAsyncDisposable?[] outputs)
    {
        foreach (var output in outputs)
        {
            if (output is not null)
            {
                await output.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}

using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch.Results;

/// <summary>
/// The results manager: turns a results file (one Batch API output line per custom_id, in completion order) into
/// what a user wants at the end: the text in input order, an embeddings matrix NumPy loads, or a classification
/// with its label distribution and accuracy; and always the successes and errors counted, errors grouped by kind.
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

        List<(string CustomId, IReadOnlyList<KeyValuePair<string, string>> Metadata)>? metadata = null;
        if (options.MetadataPath is not null)
        {
            metadata = await BatchMetadataFile.ReadAsync(options.MetadataPath, cancellationToken).ConfigureAwait(false);
        }

        var kind = options.Kind;
        var rows = new List<Row>();
        long sequence = 0;
        await foreach (var r in results.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var row = new Row { CustomId = r.CustomId, Line = r.LineNumber, Sequence = sequence++ };
            rows.Add(row);
            if (!r.IsSuccess)
            {
                row.ErrorCode = r.Error?.Code ?? $"http_{r.StatusCode}";
                row.ErrorMessage = r.Error?.Message ?? "the request did not succeed";
                continue;
            }

            if (kind == BatchMergeKind.Auto)
            {
                kind = ResultContent.LooksLikeEmbeddings(r.ResponseBody) ? BatchMergeKind.Embeddings : BatchMergeKind.Text;
            }

            // A classification takes its vectors or answers as they come; which one is decided by the body.
            if (ResultContent.TryReadEmbeddings(r.ResponseBody, out var vectors) && kind != BatchMergeKind.Text)
            {
                row.Vectors = vectors;
            }
            else if (kind != BatchMergeKind.Embeddings && ResultContent.TryReadText(r.ResponseBody, out var content, out var finish))
            {
                row.Content = content;
                row.FinishReason = finish;
            }
            else
            {
                row.ErrorCode = "invalid_response";
                row.ErrorMessage = kind == BatchMergeKind.Embeddings
                    ? "a successful response without embedding vectors"
                    : "a successful response without text content";
            }
        }

        if (kind == BatchMergeKind.Auto)
        {
            kind = BatchMergeKind.Text;
        }

        var ordered = Order(rows, metadata, out var metaById);
        var written = new List<string>();
        ClassificationReport? classification = null;
        long embeddingRows = 0;
        var dims = 0;
        switch (kind)
        {
            case BatchMergeKind.Text:
                if (options.OutputPrefix is not null)
                {
                    var path = options.OutputPrefix + (options.TextFormat == TextTableFormat.Csv ? ".merged.csv" : ".merged.jsonl");
                    await WriteTextAsync(path, ordered, metaById, options.TextFormat, cancellationToken).ConfigureAwait(false);
                    written.Add(path);
                }

                break;
            case BatchMergeKind.Embeddings:
                (embeddingRows, dims) = WriteEmbeddings(options.OutputPrefix, ordered, written, includeLabels: true);
                break;
            case BatchMergeKind.Classification:
                classification = Classify(ordered, metaById, options);
                (embeddingRows, dims) = WriteEmbeddings(options.OutputPrefix, ordered, written, includeLabels: false);
                if (options.OutputPrefix is not null)
                {
                    var path = options.OutputPrefix + ".classes.csv";
                    await WriteClassesAsync(path, ordered, cancellationToken).ConfigureAwait(false);
                    written.Add(path);
                }

                break;
        }

        long failed = 0;
        var byKind = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (row.ErrorCode is not null)
            {
                failed++;
                byKind[row.ErrorCode] = byKind.GetValueOrDefault(row.ErrorCode) + 1;
            }
        }

        return new BatchMergeReport
        {
            Kind = kind,
            Total = rows.Count,
            Succeeded = rows.Count - failed,
            Failed = failed,
            ErrorsByKind = [.. byKind.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)],
            FilesWritten = written,
            EmbeddingRows = embeddingRows,
            EmbeddingDimensions = dims,
            Classification = classification,
        };
    }

    private static List<Row> Order(
        List<Row> rows,
        List<(string CustomId, IReadOnlyList<KeyValuePair<string, string>> Metadata)>? metadata,
        out Dictionary<string, IReadOnlyList<KeyValuePair<string, string>>> metaById)
    {
        metaById = new Dictionary<string, IReadOnlyList<KeyValuePair<string, string>>>(StringComparer.Ordinal);
        var ordered = new List<Row>(rows);
        if (metadata is not null)
        {
            // The metadata file is in input order: it decides the order, and results it does not know go last.
            var rank = new Dictionary<string, int>(metadata.Count, StringComparer.Ordinal);
            for (var i = 0; i < metadata.Count; i++)
            {
                rank.TryAdd(metadata[i].CustomId, i);
                metaById[metadata[i].CustomId] = metadata[i].Metadata;
            }

            foreach (var row in ordered)
            {
                row.Rank = rank.TryGetValue(row.CustomId, out var k) ? k : int.MaxValue;
            }

            ordered.Sort((a, b) => a.Rank != b.Rank ? a.Rank.CompareTo(b.Rank) : a.Sequence.CompareTo(b.Sequence));
        }
        else
        {
            // Our own output lines carry the input line; a provider's do not, and keep their file order.
            ordered.Sort((a, b) =>
            {
                var la = a.Line > 0 ? a.Line : long.MaxValue;
                var lb = b.Line > 0 ? b.Line : long.MaxValue;
                return la != lb ? la.CompareTo(lb) : a.Sequence.CompareTo(b.Sequence);
            });
        }

        return ordered;
    }

    private static ClassificationReport Classify(List<Row> ordered, Dictionary<string, IReadOnlyList<KeyValuePair<string, string>>> metaById, BatchMergeOptions options)
    {
        var labels = options.Labels!;
        var builder = new ClassificationReportBuilder(labels);
        ZeroShotClassifier? classifier = null;
        var labelVectors = new Dictionary<string, float[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var row in ordered)
        {
            if (row.IsLabel && row.Vectors is { Length: > 0 } v)
            {
                labelVectors[row.CustomId[LabelIdPrefix.Length..]] = Centroid(v);
            }
        }

        if (labelVectors.Count > 0 || ordered.Exists(r => !r.IsLabel && r.Vectors is not null))
        {
            var missing = labels.Where(l => !labelVectors.ContainsKey(l)).ToList();
            if (missing.Count > 0)
            {
                throw new InvalidOperationException(
                    $"The results hold embeddings but no vector for the label(s) {string.Join(", ", missing)}: " +
                    $"a classification by embeddings needs a successful line with custom_id \"{LabelIdPrefix}<label>\" for every label.");
            }

            classifier = new ZeroShotClassifier(labels, [.. labels.Select(l => (ReadOnlyMemory<float>)labelVectors[l])]);
        }

        foreach (var row in ordered)
        {
            if (row.IsLabel)
            {
                continue;
            }

            string? gold = null;
            if (options.GoldColumn is not null && metaById.TryGetValue(row.CustomId, out var meta))
            {
                foreach (var kv in meta)
                {
                    if (kv.Key == options.GoldColumn)
                    {
                        gold = kv.Value;
                    }
                }
            }

            row.Gold = gold;
            if (row.ErrorCode is not null)
            {
                builder.AddFailure();
                continue;
            }

            ClassifiedItem? item = null;
            if (row.Vectors is { } vectors && classifier is not null)
            {
                if (vectors.Length != 1 || vectors[0].Length != classifier.Dimensions)
                {
                    row.ErrorCode = "invalid_response";
                    row.ErrorMessage = $"expected one vector of {classifier.Dimensions} values, got {vectors.Length} of {vectors[0].Length}";
                }
                else
                {
                    item = classifier.Classify(row.CustomId, vectors[0], gold);
                }
            }
            else if (row.Content is { } answer)
            {
                var label = ResultContent.MatchLabel(answer, labels);
                if (label is null)
                {
                    row.ErrorCode = "invalid_label";
                    row.ErrorMessage = $"the answer \"{Shorten(answer)}\" is not one of: {string.Join(", ", labels)}";
                }
                else
                {
                    item = new ClassifiedItem(row.CustomId, label, Gold: gold);
                }
            }
            else
            {
                row.ErrorCode = "invalid_response";
                row.ErrorMessage = "nothing to classify in the response";
            }

            if (item is null)
            {
                builder.AddFailure();
            }
            else
            {
                row.Classified = item;
                builder.Add(item);
            }
        }

        return builder.Build(options.LeastConfidentCount);
    }

    /// <summary>
    /// The direction of a label embedded as several phrasings: the mean of the unit vectors, so that no phrasing
    /// weighs more for being longer. One vector is returned as it is.
    /// </summary>
    internal static float[] Centroid(float[][] vectors)
    {
        if (vectors.Length == 1)
        {
            return vectors[0];
        }

        var sum = new double[vectors[0].Length];
        foreach (var v in vectors)
        {
            if (v.Length != sum.Length)
            {
                throw new InvalidOperationException($"A label's phrasings came back with {v.Length} and {sum.Length} values: one model must embed them all.");
            }

            double norm = 0;
            foreach (var x in v)
            {
                norm += (double)x * x;
            }

            norm = Math.Sqrt(norm);
            for (var i = 0; norm > 0 && i < v.Length; i++)
            {
                sum[i] += v[i] / norm;
            }
        }

        var mean = new float[sum.Length];
        for (var i = 0; i < sum.Length; i++)
        {
            mean[i] = (float)(sum[i] / vectors.Length);
        }

        return mean;
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";

    private static (long Rows, int Dims) WriteEmbeddings(string? prefix, List<Row> ordered, List<string> written, bool includeLabels)
    {
        var matrix = new List<float[]>();
        var ids = new StringBuilder();
        var dims = -1;
        foreach (var row in ordered)
        {
            if (row.Vectors is null || row.ErrorCode is not null || (!includeLabels && row.IsLabel))
            {
                continue;
            }

            for (var i = 0; i < row.Vectors.Length; i++)
            {
                var v = row.Vectors[i];
                if (dims < 0)
                {
                    dims = v.Length;
                }
                else if (v.Length != dims)
                {
                    throw new InvalidOperationException($"\"{row.CustomId}\" has a vector of {v.Length} values but earlier ones have {dims}: the results mix models.");
                }

                matrix.Add(v);
                // One id per matrix row: an item whose request embedded several inputs gets "id[0]", "id[1]"…
                ids.Append(row.Vectors.Length == 1 ? row.CustomId : $"{row.CustomId}[{i.ToString(CultureInfo.InvariantCulture)}]").Append('\n');
            }
        }

        if (dims < 0)
        {
            return (0, 0);
        }

        if (prefix is not null)
        {
            var npy = prefix + ".npy";
            var idsPath = prefix + ".ids.txt";
            NpyFile.WriteFloat32(npy, matrix, dims);
            using (var idsFile = AtomicFile.Begin(idsPath, throughLink: false))
            {
                idsFile.Stream.Write(Encoding.UTF8.GetBytes(ids.ToString()));
                idsFile.Commit();
            }
            written.Add(npy);
            written.Add(idsPath);
        }

        return (matrix.Count, dims);
    }

    private static async Task WriteTextAsync(string path, List<Row> ordered, Dictionary<string, IReadOnlyList<KeyValuePair<string, string>>> metaById, TextTableFormat format, CancellationToken cancellationToken)
    {
        var columns = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var meta in metaById.Values)
        {
            foreach (var kv in meta)
            {
                if (seen.Add(kv.Key))
                {
                    columns.Add(kv.Key);
                }
            }
        }

        var file = AtomicFile.Begin(path, throughLink: false);
        await using (file.ConfigureAwait(false))
        {
            var stream = file.Stream;
            var buffer = new ArrayBufferWriter<byte>(4096);
            if (format == TextTableFormat.Csv)
            {
                var header = new StringBuilder("custom_id,content,finish_reason,error_code,error_message");
                foreach (var c in columns)
                {
                    header.Append(',').Append(CsvField(c));
                }

                await stream.WriteAsync(Encoding.UTF8.GetBytes(header.Append('\n').ToString()), cancellationToken).ConfigureAwait(false);
            }

            foreach (var row in ordered)
            {
                metaById.TryGetValue(row.CustomId, out var meta);
                if (format == TextTableFormat.Csv)
                {
                    var sb = new StringBuilder();
                    sb.Append(CsvField(row.CustomId)).Append(',')
                        .Append(CsvField(row.ErrorCode is null ? row.Content ?? "" : "")).Append(',')
                        .Append(CsvField(row.FinishReason ?? "")).Append(',')
                        .Append(CsvField(row.ErrorCode ?? "")).Append(',')
                        .Append(CsvField(row.ErrorMessage ?? ""));
                    foreach (var c in columns)
                    {
                        sb.Append(',').Append(CsvField(Find(meta, c) ?? ""));
                    }

                    await stream.WriteAsync(Encoding.UTF8.GetBytes(sb.Append('\n').ToString()), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    buffer.ResetWrittenCount();
                    using (var w = new Utf8JsonWriter(buffer, JsonFiles.WriterOptions))
                    {
                        w.WriteStartObject();
                        w.WriteString("custom_id"u8, row.CustomId);
                        if (row.ErrorCode is null)
                        {
                            w.WriteString("content"u8, row.Content);
                        }
                        else
                        {
                            w.WriteNull("content"u8);
                        }

                        w.WriteString("finish_reason"u8, row.FinishReason);
                        if (row.ErrorCode is null)
                        {
                            w.WriteNull("error"u8);
                        }
                        else
                        {
                            w.WriteStartObject("error"u8);
                            w.WriteString("code"u8, row.ErrorCode);
                            w.WriteString("message"u8, row.ErrorMessage);
                            w.WriteEndObject();
                        }

                        w.WriteStartObject("metadata"u8);
                        if (meta is not null)
                        {
                            foreach (var kv in meta)
                            {
                                w.WriteString(kv.Key, kv.Value);
                            }
                        }

                        w.WriteEndObject();
                        w.WriteEndObject();
                    }

                    buffer.Write("\n"u8);
                    await stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                }
            }

            await file.CommitAsync().ConfigureAwait(false);
        }
    }

    private static async Task WriteClassesAsync(string path, List<Row> ordered, CancellationToken cancellationToken)
    {
        var sb = new StringBuilder("custom_id,label,score,runner_up,runner_up_score,gold,error_code\n");
        foreach (var row in ordered)
        {
            if (row.IsLabel)
            {
                continue;
            }

            var c = row.Classified;
            sb.Append(CsvField(row.CustomId)).Append(',')
                .Append(CsvField(c?.Label ?? "")).Append(',')
                .Append(c?.Score?.ToString("0.######", CultureInfo.InvariantCulture)).Append(',')
                .Append(CsvField(c?.RunnerUp ?? "")).Append(',')
                .Append(c?.RunnerUpScore?.ToString("0.######", CultureInfo.InvariantCulture)).Append(',')
                .Append(CsvField(c?.Gold ?? row.Gold ?? "")).Append(',')
                .Append(CsvField(row.ErrorCode ?? "")).Append('\n');
        }

        var content = Encoding.UTF8.GetBytes(sb.ToString());
        await AtomicRewrite.CreateAsync(path, async (stream, ct) => await stream.WriteAsync(content, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    private static string? Find(IReadOnlyList<KeyValuePair<string, string>>? meta, string key)
    {
        if (meta is null)
        {
            return null;
        }

        foreach (var kv in meta)
        {
            if (kv.Key == key)
            {
                return kv.Value;
            }
        }

        return null;
    }

    /// <summary>
    /// Writes a CSV field safely. A value that a spreadsheet would run as a formula (it starts with <c>=</c>, <c>+</c>,
    /// <c>-</c>, <c>@</c>, a tab or a carriage return; model output and input columns are untrusted text) gets a leading
    /// <c>'</c>, as OWASP recommends, so it shows as text; a plain number such as <c>-3.5</c> cannot be a formula and is
    /// left as it is. Then a field holding a comma, quote or line break is quoted (RFC 4180).
    /// </summary>
    internal static string CsvField(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !IsPlainNumber(value))
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n\t") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static readonly SearchValues<char> s_numberChars = SearchValues.Create("0123456789.eE+-");

    // Digits with an optional sign, decimal point and exponent: what a spreadsheet reads as a number, never a formula.
    private static bool IsPlainNumber(string value) =>
        value.Length > 1 && value.AsSpan(1).IndexOfAnyExcept(s_numberChars) < 0 && char.IsAsciiDigit(value[1])
        && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private sealed class Row
    {
        public required string CustomId { get; init; }

        public long Line { get; init; }

        public long Sequence { get; init; }

        public int Rank { get; set; }

        public string? Content { get; set; }

        public string? FinishReason { get; set; }

        public float[][]? Vectors { get; set; }

        public string? ErrorCode { get; set; }

        public string? ErrorMessage { get; set; }

        public ClassifiedItem? Classified { get; set; }

        public string? Gold { get; set; }

        public bool IsLabel => CustomId.StartsWith(LabelIdPrefix, StringComparison.Ordinal);
    }
}

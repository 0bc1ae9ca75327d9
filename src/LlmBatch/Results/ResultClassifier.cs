namespace LlmBatch.Results;

/// <summary>
/// The classification of a merge, one row at a time in input order: each item goes to its nearest label (from
/// embeddings, the labels' own vectors being the <see cref="BatchResultsMerger.LabelIdPrefix"/> lines) or has its
/// chat answer checked against the labels. The labels' vectors are taken while the rows are read, before the
/// ordered pass; a label seen twice keeps the one latest in input order.
/// </summary>
internal sealed class ResultClassifier
{
    private readonly BatchMergeOptions _options;
    private readonly IReadOnlyList<string> _labels;
    private readonly ClassificationReportBuilder _builder;
    private readonly Dictionary<string, MergeRow> _labelRows = new(StringComparer.OrdinalIgnoreCase);
    private ZeroShotClassifier? _classifier;

    public ResultClassifier(BatchMergeOptions options)
    {
        _options = options;
        _labels = options.Labels!;
        _builder = new ClassificationReportBuilder(_labels);
    }

    /// <summary>Sees every row once its rank is known: keeps the labels' vectors.</summary>
    public void Observe(MergeRow row)
    {
        if (row.IsLabel && row.Vectors is { Length: > 0 })
        {
            var name = row.CustomId[BatchResultsMerger.LabelIdPrefix.Length..];
            if (!_labelRows.TryGetValue(name, out var kept) || MergeRow.CompareByRank(kept, row) < 0)
            {
                _labelRows[name] = row;
            }
        }
    }

    /// <summary>Builds the nearest-label classifier when the results hold vectors.</summary>
    /// <exception cref="InvalidOperationException">Items have vectors but a label has none.</exception>
    public void Prepare(bool anyItemVectors)
    {
        if (_labelRows.Count == 0 && !anyItemVectors)
        {
            return;
        }

        var missing = _labels.Where(l => !_labelRows.ContainsKey(l)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"The results hold embeddings but no vector for the label(s) {string.Join(", ", missing)}: " +
                $"a classification by embeddings needs a successful line with custom_id \"{BatchResultsMerger.LabelIdPrefix}<label>\" for every label.");
        }

        _classifier = new ZeroShotClassifier(_labels, [.. _labels.Select(l => (ReadOnlyMemory<float>)Centroid(_labelRows[l].Vectors!))]);
        _labelRows.Clear();
    }

    /// <summary>Classifies one item (labels' own rows are skipped), marking it failed when it cannot be.</summary>
    public void Classify(MergeRow row)
    {
        if (row.IsLabel)
        {
            return;
        }

        var gold = _options.GoldColumn is null ? null : row.FindMetadata(_options.GoldColumn, last: true);
        row.Gold = gold;
        if (row.ErrorCode is not null)
        {
            _builder.AddFailure();
            return;
        }

        ClassifiedItem? item = null;
        if (row.Vectors is { } vectors && _classifier is not null)
        {
            if (vectors.Length != 1 || vectors[0].Length != _classifier.Dimensions)
            {
                row.ErrorCode = "invalid_response";
                row.ErrorMessage = $"expected one vector of {_classifier.Dimensions} values, got {vectors.Length} of {vectors[0].Length}";
            }
            else
            {
                item = _classifier.Classify(row.CustomId, vectors[0], gold);
            }
        }
        else if (row.Content is { } answer)
        {
            var label = ResultContent.MatchLabel(answer, _labels);
            if (label is null)
            {
                row.ErrorCode = "invalid_label";
                row.ErrorMessage = $"the answer \"{Shorten(answer)}\" is not one of: {string.Join(", ", _labels)}";
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
            _builder.AddFailure();
        }
        else
        {
            row.Classified = item;
            _builder.Add(item);
        }
    }

    public ClassificationReport Build() => _builder.Build(_options.LeastConfidentCount);

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
}

namespace LlmBatch.Results;

/// <summary>Accumulates classified items into a <see cref="ClassificationReport"/>.</summary>
internal sealed class ClassificationReportBuilder
{
    private readonly List<string> _labels;
    private readonly Dictionary<string, int> _index;
    private readonly long[] _counts;
    private readonly Dictionary<(int Gold, int Predicted), long> _confusion = [];
    // The least confident items only, as a max-heap of at most _keep: a merge of 10 M items must not hold them all.
    private readonly PriorityQueue<ClassifiedItem, ClassifiedItem> _scored = new(Comparer<ClassifiedItem>.Create(static (a, b) => ByConfidence(b, a)));
    private readonly int _keep;
    private readonly List<string> _extraGold = [];
    private long _failed;
    private long _withGold;
    private long _correct;

    /// <summary>Creates the builder for a label set.</summary>
    /// <param name="labels">The labels, in display order.</param>
    /// <param name="keepLeastConfident">The most least-confident items <see cref="Build"/> may be asked for (default: all).</param>
    public ClassificationReportBuilder(IEnumerable<string> labels, int keepLeastConfident = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegative(keepLeastConfident);
        _keep = keepLeastConfident;
        _labels = [.. labels];
        _index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < _labels.Count; i++)
        {
            _index[_labels[i]] = i;
        }

        _counts = new long[_labels.Count];
    }

    /// <summary>Adds a classified item.</summary>
    /// <param name="item">The item; its label must be one of the builder's labels.</param>
    /// <exception cref="ArgumentException">The label is not in the label set.</exception>
    public void Add(ClassifiedItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!_index.TryGetValue(item.Label, out var p))
        {
            throw new ArgumentException($"\"{item.Label}\" is not one of the labels ({string.Join(", ", _labels)}).", nameof(item));
        }

        _counts[p]++;
        if (!string.IsNullOrWhiteSpace(item.Gold))
        {
            var gold = item.Gold.Trim();
            if (!_index.TryGetValue(gold, out var g))
            {
                // A gold label outside the label set still counts: it can only be wrong, and shows as its own row.
                g = _labels.Count + _extraGold.Count;
                _index[gold] = g;
                _extraGold.Add(gold);
            }

            _withGold++;
            if (g == p)
            {
                _correct++;
            }

            _confusion[(g, p)] = _confusion.GetValueOrDefault((g, p)) + 1;
        }

        if (item.Margin is not null && _keep > 0)
        {
            if (_scored.Count < _keep)
            {
                _scored.Enqueue(item, item);
            }
            else if (ByConfidence(item, _scored.Peek()) < 0)
            {
                _scored.DequeueEnqueue(item, item);
            }
        }
    }

    /// <summary>Counts an item that could not be classified.</summary>
    public void AddFailure() => _failed++;

    /// <summary>Builds the report.</summary>
    /// <param name="leastConfident">How many of the least confident items to list (default 10).</param>
    /// <returns>The report.</returns>
    public ClassificationReport Build(int leastConfident = 10)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(leastConfident);
        long classified = 0;
        foreach (var c in _counts)
        {
            classified += c;
        }

        var distribution = new List<LabelShare>(_labels.Count);
        for (var i = 0; i < _labels.Count; i++)
        {
            distribution.Add(new LabelShare(_labels[i], _counts[i], classified == 0 ? 0 : (double)_counts[i] / classified));
        }

        IReadOnlyList<IReadOnlyList<long>>? matrix = null;
        var confusionLabels = new List<string>(_labels);
        confusionLabels.AddRange(_extraGold);
        if (_withGold > 0)
        {
            var rows = new List<IReadOnlyList<long>>(confusionLabels.Count);
            for (var g = 0; g < confusionLabels.Count; g++)
            {
                var row = new long[confusionLabels.Count];
                for (var p = 0; p < confusionLabels.Count; p++)
                {
                    row[p] = _confusion.GetValueOrDefault((g, p));
                }

                rows.Add(row);
            }

            matrix = rows;
        }

        var least = _scored.UnorderedItems
            .Select(e => e.Element)
            .OrderBy(i => i.Margin)
            .ThenBy(i => i.CustomId, StringComparer.Ordinal)
            .Take(leastConfident)
            .ToList();

        return new ClassificationReport
        {
            Labels = [.. _labels],
            Classified = classified,
            Failed = _failed,
            Distribution = distribution,
            WithGold = _withGold,
            Accuracy = _withGold > 0 ? (double)_correct / _withGold : null,
            ConfusionMatrix = matrix,
            ConfusionLabels = _withGold > 0 ? confusionLabels : [],
            LeastConfident = least,
        };
    }

    // Least confident first: the smallest margin, then the custom_id.
    private static int ByConfidence(ClassifiedItem a, ClassifiedItem b)
    {
        var c = Nullable.Compare(a.Margin, b.Margin);
        return c != 0 ? c : string.CompareOrdinal(a.CustomId, b.CustomId);
    }
}

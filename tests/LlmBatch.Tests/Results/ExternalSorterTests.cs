using LlmBatch.Results;

namespace LlmBatch.Tests.Results;

public class ExternalSorterTests
{
    private static ExternalSorter<(int Key, int Seq)> Sorter(string dir, long budget, int fanIn) => new(
        static (a, b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Seq.CompareTo(b.Seq),
        static (w, x) => { w.Write(x.Key); w.Write(x.Seq); },
        static r => (r.ReadInt32(), r.ReadInt32()),
        static _ => 8,
        dir,
        budget,
        fanIn);

    [Fact]
    public void Sorted_ManyRunsAndIntermediateMerges_SameAsInMemorySortAndFilesGone()
    {
        using var dir = new TempDir();
        var random = new Random(7);
        // Keys repeat (duplicates), the sequence breaks ties: 10,000 items in runs of 100, merged 3 at a time.
        var items = Enumerable.Range(0, 10_000).Select(i => (Key: random.Next(500), Seq: i)).ToList();
        using (var sorter = Sorter(dir.Path, budget: 800, fanIn: 3))
        {
            foreach (var item in items)
            {
                sorter.Add(item);
            }

            var sorted = sorter.Sorted().ToList();

            Assert.Equal(100, sorter.SpilledRuns);
            Assert.Equal(items.OrderBy(x => x.Key).ThenBy(x => x.Seq), sorted);
        }

        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Sorted_FitsInBudget_NoFileWritten()
    {
        using var dir = new TempDir();
        using var sorter = Sorter(dir.Path, budget: 1 << 20, fanIn: 4);
        sorter.Add((3, 0));
        sorter.Add((1, 1));
        sorter.Add((3, 2));

        Assert.Equal([(1, 1), (3, 0), (3, 2)], sorter.Sorted());
        Assert.Equal(0, sorter.SpilledRuns);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Sorted_ReadTwice_Throws()
    {
        using var dir = new TempDir();
        using var sorter = Sorter(dir.Path, budget: 16, fanIn: 2);
        sorter.Add((1, 0));
        _ = sorter.Sorted().ToList();

        Assert.Throws<InvalidOperationException>(() => sorter.Sorted());
    }
}

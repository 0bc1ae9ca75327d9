using LlmBatch.Results;

namespace LlmBatch.Tests.Results;

public class NpyWriterTests
{
    [Fact]
    public void Complete_AfterRows_HeaderPatchedToTheRowCountAndFileSameAsOneShotWrite()
    {
        using var dir = new TempDir();
        var rows = Enumerable.Range(0, 1234).Select(i => new[] { i, -i, i * 0.5f }).ToList();
        var streamed = Path.Combine(dir.Path, "streamed.npy");
        using (var writer = new NpyWriter(streamed, 3))
        {
            foreach (var row in rows)
            {
                writer.WriteRow(row);
            }

            writer.Complete();
        }

        var oneShot = Path.Combine(dir.Path, "one-shot.npy");
        NpyFile.WriteFloat32(oneShot, rows, 3);

        Assert.Equal(File.ReadAllBytes(oneShot), File.ReadAllBytes(streamed));
        var header = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(streamed), 10, 118);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (1234, 3), }", header, StringComparison.Ordinal);
        using var stream = File.OpenRead(streamed);
        var (data, r, c) = NpyFile.ReadFloat32(stream);
        Assert.Equal((1234, 3), (r, c));
        Assert.Equal(rows.SelectMany(x => x), data);
    }

    [Fact]
    public void Dispose_WithoutComplete_LeavesNoFile()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "x.npy");
        using (var writer = new NpyWriter(path, 2))
        {
            writer.WriteRow([1f, 2f]);
        }

        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void WriteRow_WrongLength_Throws()
    {
        using var dir = new TempDir();
        using var writer = new NpyWriter(Path.Combine(dir.Path, "x.npy"), 2);

        Assert.Throws<ArgumentException>(() => writer.WriteRow([1f]));
    }

    [Theory]
    [InlineData(0L, 1)]
    [InlineData(10_000_000L, 1536)]
    [InlineData(long.MaxValue, int.MaxValue)]
    public void BuildHeader_AnyShape_Is128Bytes(long rows, int columns) =>
        Assert.Equal(128, NpyFile.BuildHeader(rows, columns).Length);
}

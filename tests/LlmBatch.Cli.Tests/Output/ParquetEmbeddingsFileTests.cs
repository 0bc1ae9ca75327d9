using LlmBatch.Cli.Output;
using LlmBatch.Results;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace LlmBatch.Cli.Tests.Output;

public sealed class ParquetEmbeddingsFileTests : TempDirTest
{
    [Fact]
    public async Task WriteFromNpyAsync_Matrix_ReadBackByParquetNetWithSchemaShapeAndValues()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = Path.Combine(Dir, "emb");
        float[] data = [0.5f, -1f, 3.25f, 0f, 1e-7f, float.MaxValue, -0f, 2f, 7f];
        using (var npy = File.Create(prefix + ".npy"))
        {
            NpyFile.WriteFloat32(npy, data, 3, 3);
        }

        await File.WriteAllTextAsync(prefix + ".ids.txt", "a\nb,with comma\nc[0]\n", ct);

        var path = await ParquetEmbeddingsFile.WriteFromNpyAsync(prefix, ct);

        Assert.Equal(prefix + ".parquet", path);
        await using (var stream = File.OpenRead(path))
        {
            await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: ct);
            Assert.Equal(["custom_id", "embedding"], reader.Schema.Fields.Select(f => f.Name).ToArray());
            Assert.IsType<ListField>(reader.Schema.Fields[1]);
            var element = Assert.IsType<DataField>(((ListField)reader.Schema.Fields[1]).Item);
            Assert.Equal(typeof(float), element.ClrType);
            Assert.Equal(3, Enumerable.Range(0, reader.RowGroupCount).Sum(g => reader.OpenRowGroupReader(g).RowCount));
        }

        var rows = (await ParquetSerializer.DeserializeAsync<ParquetEmbeddingRow>(path, cancellationToken: ct)).Data;
        Assert.Equal(["a", "b,with comma", "c[0]"], rows.Select(r => r.CustomId));
        Assert.Equal(data[..3], rows[0].Embedding);
        Assert.Equal(data[3..6], rows[1].Embedding);
        Assert.Equal(data[6..], rows[2].Embedding);
    }

    [Fact]
    public async Task WriteAsync_IdsAndMatrixDisagree_Refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => ParquetEmbeddingsFile.WriteAsync(Path.Combine(Dir, "x.parquet"), ["only-one"], new float[4], 2, 2, TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Combine(Dir, "x.parquet")));
    }
}

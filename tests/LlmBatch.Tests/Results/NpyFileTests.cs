using System.Text;
using LlmBatch.Results;

namespace LlmBatch.Tests.Results;

public class NpyFileTests
{
    [Fact]
    public void WriteFloat32_ThenRead_SameShapeAndValues()
    {
        float[] data = [1.5f, -2.25f, 3e-8f, float.MaxValue, 0f, -0f];
        using var ms = new MemoryStream();

        NpyFile.WriteFloat32(ms, data, 2, 3);
        ms.Position = 0;
        var (read, rows, cols) = NpyFile.ReadFloat32(ms);

        Assert.Equal(2, rows);
        Assert.Equal(3, cols);
        Assert.Equal(data, read);
    }

    [Fact]
    public void WriteFloat32_Header_IsNumpyV1AlignedTo64()
    {
        using var ms = new MemoryStream();
        NpyFile.WriteFloat32(ms, new float[384 * 3], 3, 384);
        var bytes = ms.ToArray();

        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }, bytes[..8]);
        var headerLength = bytes[8] | (bytes[9] << 8);
        Assert.Equal(0, (10 + headerLength) % 64);
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 384), }", header, StringComparison.Ordinal);
        Assert.EndsWith("\n", header, StringComparison.Ordinal);
        Assert.Equal(10 + headerLength + (3 * 384 * 4), bytes.Length);
    }

    [Fact]
    public void WriteFloat32_Rows_FileRoundTrips()
    {
        using var dir = new TempDir();
        var path = dir.File("m.npy");
        var rows = new List<float[]> { new[] { 1f, 2f }, new[] { 3f, 4f }, new[] { 5f, 6f } };

        NpyFile.WriteFloat32(path, rows, 2);
        using var stream = File.OpenRead(path);
        var (data, r, c) = NpyFile.ReadFloat32(stream);

        Assert.Equal((3, 2), (r, c));
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], data);
    }

    [Fact]
    public void WriteFloat32_WrongLength_Throws()
    {
        using var ms = new MemoryStream();
        Assert.Throws<ArgumentException>(() => NpyFile.WriteFloat32(ms, new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => NpyFile.WriteFloat32(Path.GetTempFileName(), [new float[2], new float[3]], 2));
    }
}

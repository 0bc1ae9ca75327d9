using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LlmBatch.Redis.Jobs;

/// <summary>
/// Derives a job's id from what the same command sees again after its owner died: the machine, the absolute output
/// path and the input's identity (absolute path, length, last write). A rerun therefore resumes the job, and an input
/// changed meanwhile is a new job. The output alone names the slot an owner holds (<see cref="OwnerSlot"/>), so a
/// new job of the same output retires the old one.
/// </summary>
internal static class RedisJobIdentity
{
    /// <summary>The job id: 32 hex digits.</summary>
    public static string JobId(string inputPath, string outputPath)
    {
        var input = new FileInfo(inputPath);
        return Hash($"job\n{Environment.MachineName}\n{Path.GetFullPath(outputPath)}\n{input.FullName}\n{input.Length.ToString(CultureInfo.InvariantCulture)}\n{input.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>The key naming the current job of one output file on one machine.</summary>
    public static string OwnerSlot(string outputPath) =>
        RedisScaleOut.KeyPrefix + "output:" + Hash($"output\n{Environment.MachineName}\n{Path.GetFullPath(outputPath)}");

    private static string Hash(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));
}

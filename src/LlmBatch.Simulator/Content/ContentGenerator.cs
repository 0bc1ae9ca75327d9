using System.Runtime.InteropServices;
using System.Text;

namespace LlmBatch.Simulator;

/// <summary>
/// Derives everything an answer contains from the request's hash and the seed: completion length, words and
/// embedding vectors. The same request always gets the same answer, whatever the timing.
/// </summary>
internal sealed class ContentGenerator
{
    private const double LognormalSigma = 0.5;
    private readonly SimulatorOptions _options;
    private readonly ulong _seed;

    public ContentGenerator(SimulatorOptions options)
    {
        _options = options;
        _seed = unchecked((ulong)options.Seed);
    }

    /// <summary>The length the model "wants" to write for choice <paramref name="choice"/> of a request, before max_tokens.</summary>
    public int NaturalLength(ulong requestHash, int choice)
    {
        var rng = new SplitMix(SplitMix.Mix(requestHash ^ _seed, (ulong)choice + 1));
        double mean = _options.CompletionTokens;
        var length = _options.CompletionDistribution switch
        {
            SimulatorLengthDistribution.Fixed => mean,
            SimulatorLengthDistribution.Uniform => mean * (0.5 + rng.NextDouble()),
            SimulatorLengthDistribution.Exponential => -mean * Math.Log(1.0 - rng.NextDouble()),
            _ => mean * Math.Exp((LognormalSigma * rng.NextGaussian()) - (LognormalSigma * LognormalSigma / 2)),
        };
        return (int)Math.Clamp(Math.Round(length), 1, 1_000_000);
    }

    /// <summary>Appends <paramref name="tokens"/> words for choice <paramref name="choice"/>, the first without a leading space.</summary>
    public void AppendWords(StringBuilder text, ulong requestHash, int choice, int tokens)
    {
        var rng = new SplitMix(SplitMix.Mix(requestHash ^ _seed, 0x5EED0000UL + (ulong)choice));
        var words = WordList.Words;
        for (var i = 0; i < tokens; i++)
        {
            if (i > 0)
            {
                text.Append(' ');
            }

            text.Append(words[(int)(rng.NextUInt64() % (ulong)words.Length)]);
        }
    }

    /// <summary>The next word of a stream from <see cref="WordStream"/>, with a leading space unless <paramref name="index"/> is 0.</summary>
    public static string WordAt(ref SplitMix rng, int index)
    {
        var words = WordList.Words;
        var word = words[(int)(rng.NextUInt64() % (ulong)words.Length)];
        return index == 0 ? word : " " + word;
    }

    /// <summary>Starts the word stream that <see cref="AppendWords"/> uses, for streaming the same words one at a time.</summary>
    public SplitMix WordStream(ulong requestHash, int choice) => new(SplitMix.Mix(requestHash ^ _seed, 0x5EED0000UL + (ulong)choice));

    /// <summary>Fills <paramref name="vector"/> with a unit vector derived from the input text's hash.</summary>
    public void Embedding(ulong inputHash, Span<float> vector)
    {
        var rng = new SplitMix(SplitMix.Mix(inputHash, _seed ^ 0xE3BEDUL));
        double sum = 0;
        for (var i = 0; i < vector.Length; i++)
        {
            var g = rng.NextGaussian();
            vector[i] = (float)g;
            sum += g * g;
        }

        var scale = sum > 0 ? (float)(1.0 / Math.Sqrt(sum)) : 1f;
        if (sum <= 0)
        {
            vector.Clear();
            vector[0] = 1f;
            return;
        }

        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] *= scale;
        }
    }

    /// <summary>Encodes a vector as OpenAI's <c>encoding_format: "base64"</c> does: little-endian float32 bytes in base64.</summary>
    public static string ToBase64(ReadOnlySpan<float> vector)
    {
        var bytes = MemoryMarshal.AsBytes(vector);
        return BitConverter.IsLittleEndian ? Convert.ToBase64String(bytes) : Base64Reverse(vector);
    }

    private static string Base64Reverse(ReadOnlySpan<float> vector)
    {
        var bytes = new byte[vector.Length * 4];
        for (var i = 0; i < vector.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), vector[i]);
        }

        return Convert.ToBase64String(bytes);
    }
}

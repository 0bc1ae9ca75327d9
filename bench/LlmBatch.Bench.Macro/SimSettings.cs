using System.Globalization;

namespace LlmBatch.Bench.Macro;

/// <summary>The simulator's settings for one scenario, turned into <c>llmbatch simulate</c> flags.</summary>
internal sealed record SimSettings
{
    public int Rpm { get; init; }
    public long Tpm { get; init; }
    public double LatencyMs { get; init; } = 400;
    public double PerTokenMs { get; init; } = 2;
    public double BurstSeconds { get; init; } = 1;
    public double P500 { get; init; }
    public double P503 { get; init; }
    public double PTruncate { get; init; }
    public double PReset { get; init; }
    public double PHang { get; init; }
    public double HangSeconds { get; init; } = 60;
    public long Seed { get; init; }

    /// <summary>The simulator's <c>--batch-duration</c> in seconds (0 leaves its default).</summary>
    public double BatchSeconds { get; init; }

    /// <summary>The simulator's <c>--batch-api-latency</c> in milliseconds.</summary>
    public double BatchApiLatencyMs { get; init; }

    /// <summary>The simulator's <c>--batch-enqueued-tokens</c> (0: no limit).</summary>
    public long BatchEnqueuedTokens { get; init; }

    public bool HasFaults => P500 + P503 + PTruncate + PReset + PHang > 0;

    public IReadOnlyList<string> ToArgs()
    {
        var c = CultureInfo.InvariantCulture;
        var args = new List<string>
        {
            "simulate", "--port", "0",
            "--latency", LatencyMs.ToString(c) + "ms",
            "--per-token", PerTokenMs.ToString(c) + "ms",
            "--seed", Seed.ToString(c),
            "--burst-seconds", BurstSeconds.ToString(c),
        };
        if (Rpm > 0)
        {
            args.AddRange(["--rpm", Rpm.ToString(c)]);
        }

        if (Tpm > 0)
        {
            args.AddRange(["--tpm", Tpm.ToString(c)]);
        }

        void P(string flag, double p)
        {
            if (p > 0)
            {
                args.AddRange([flag, p.ToString(c)]);
            }
        }

        P("--p-500", P500);
        P("--p-503", P503);
        P("--p-truncate", PTruncate);
        P("--p-reset", PReset);
        P("--p-hang", PHang);
        if (PHang > 0)
        {
            args.AddRange(["--hang-duration", HangSeconds.ToString(c) + "s"]);
        }

        if (BatchSeconds > 0)
        {
            args.AddRange(["--batch-duration", BatchSeconds.ToString(c) + "s"]);
        }

        if (BatchApiLatencyMs > 0)
        {
            args.AddRange(["--batch-api-latency", BatchApiLatencyMs.ToString(c) + "ms"]);
        }

        if (BatchEnqueuedTokens > 0)
        {
            args.AddRange(["--batch-enqueued-tokens", BatchEnqueuedTokens.ToString(c)]);
        }

        return args;
    }

    public string Describe()
    {
        var parts = new List<string>();
        if (Rpm > 0)
        {
            parts.Add($"rpm {Rpm}");
        }

        if (Tpm > 0)
        {
            parts.Add($"tpm {Tpm}");
        }

        parts.Add($"latency {LatencyMs} ms + {PerTokenMs} ms/token");
        if (BatchSeconds > 0)
        {
            parts.Add($"batches take {BatchSeconds} s");
        }

        if (BatchEnqueuedTokens > 0)
        {
            parts.Add($"enqueued-token limit {BatchEnqueuedTokens:N0}");
        }
        if (HasFaults)
        {
            parts.Add($"faults 500 {P500:P1}, 503 {P503:P1}, truncate {PTruncate:P1}, reset {PReset:P1}, hang {PHang:P1} ({HangSeconds} s)");
        }

        return string.Join(", ", parts);
    }
}

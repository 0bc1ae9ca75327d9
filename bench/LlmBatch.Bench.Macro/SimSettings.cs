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
    public string? HeaderScale { get; init; }
    public string? WindowKind { get; init; }
    public double NeighbourShare { get; init; }
    public int MaxInFlight { get; init; }
    public string? Overflow { get; init; }
    public int Saturation { get; init; }
    public double? SaturationGrowth { get; init; }
    public double? LatencyJitter { get; init; }

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

        P("--neighbour-share", NeighbourShare);
        if (HeaderScale is not null)
        {
            args.AddRange(["--header-scale", HeaderScale]);
        }

        if (WindowKind is not null)
        {
            args.AddRange(["--window-kind", WindowKind]);
        }

        if (MaxInFlight > 0)
        {
            args.AddRange(["--max-in-flight", MaxInFlight.ToString(c)]);
        }

        if (Overflow is not null)
        {
            args.AddRange(["--overflow", Overflow]);
        }

        if (Saturation > 0)
        {
            args.AddRange(["--saturation", Saturation.ToString(c)]);
        }

        if (SaturationGrowth is { } growth)
        {
            args.AddRange(["--saturation-growth", growth.ToString(c)]);
        }

        if (LatencyJitter is { } jitter)
        {
            args.AddRange(["--latency-jitter", jitter.ToString(c)]);
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

        parts.Add($"latency {LatencyMs} ms + {PerTokenMs} ms/token{(LatencyJitter is { } j ? $" (jitter {j})" : "")}");
        if (Rpm > 0 || Tpm > 0)
        {
            parts.Add($"enforced over {BurstSeconds} s ({WindowKind ?? "bucket"}), headers per {HeaderScale ?? "minute"}");
        }

        if (NeighbourShare > 0)
        {
            parts.Add($"a neighbour spending {NeighbourShare:P0} of the key");
        }

        if (MaxInFlight > 0)
        {
            parts.Add($"{MaxInFlight} slots ({Overflow ?? "queue"} past them)");
        }

        if (Saturation > 0)
        {
            parts.Add($"continuous batching saturating at {Saturation} (growth {SaturationGrowth ?? 0.3})");
        }

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

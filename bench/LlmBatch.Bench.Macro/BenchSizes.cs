namespace LlmBatch.Bench.Macro;

/// <summary>
/// How big each scenario is. The full sizes are the (3,000 requests at 6,000 RPM is an ideal 30 s);
/// <c>--quick</c> shrinks every scenario for a smoke run of about two minutes.
/// </summary>
internal sealed record BenchSizes
{
    public required int RateItems { get; init; }
    public required int Rpm { get; init; }
    public required int TokenItems { get; init; }
    public required double TokenIdealSeconds { get; init; }
    public required int UnlimitedItems { get; init; }

    /// <summary>Requests of the CPU-per-request scenario (the 20,000 at 10 ms latency, 64 in flight).</summary>
    public required int CpuItems { get; init; }

    /// <summary>Interleaved rounds of the cpu scenario; each client's figure is its median round.</summary>
    public required int CpuRounds { get; init; }
    public required int FaultItems { get; init; }
    public required int CrashItems { get; init; }
    public required int MemorySmall { get; init; }
    public required int MemoryLarge { get; init; }

    /// <summary>The memory scenario's largest run (issue 13: flat from 50 k to 1 M items); ours only, the baseline is not run at it.</summary>
    public required int MemoryHuge { get; init; }
    public required double HangSeconds { get; init; }
    public required int GpuItems { get; init; }
    public required int PackItems { get; init; }

    /// <summary>Requests of the Batch API scenario, and per batch file (the provider's 50,000 at full size: 3 files).</summary>
    public required int BatchItems { get; init; }
    public required int BatchFileRequests { get; init; }

    public static BenchSizes Full { get; } = new()
    {
        RateItems = 3_000, Rpm = 6_000, TokenItems = 1_500, TokenIdealSeconds = 30, UnlimitedItems = 20_000, CpuItems = 20_000, CpuRounds = 3,
        FaultItems = 2_000, CrashItems = 3_000, MemorySmall = 50_000, MemoryLarge = 200_000, MemoryHuge = 1_000_000, HangSeconds = 60,
        GpuItems = 800, PackItems = 20_000,
        BatchItems = 120_000, BatchFileRequests = 50_000,
    };

    public static BenchSizes Quick { get; } = new()
    {
        RateItems = 600, Rpm = 6_000, TokenItems = 300, TokenIdealSeconds = 6, UnlimitedItems = 3_000, CpuItems = 4_000, CpuRounds = 1,
        FaultItems = 500, CrashItems = 600, MemorySmall = 5_000, MemoryLarge = 20_000, MemoryHuge = 100_000, HangSeconds = 15,
        GpuItems = 300, PackItems = 4_000,
        BatchItems = 12_000, BatchFileRequests = 5_000,
    };
}

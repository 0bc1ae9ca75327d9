namespace LlmBatch.Results;

/// <summary>
/// A full collection after a batch of long-lived rows has been written out (a spilled sort run, a Parquet row
/// group). Those rows lived long enough to reach generation 2 and die there together; left to its own pacing the
/// GC lets generation 2 grow to several times the batch before it collects (a 10 M-line merge peaked at 710 MB
/// for a 32 MB buffer). One blocking, non-compacting collection per batch (a few hundred over 10 M lines, each a
/// few milliseconds on a heap that holds little else) keeps the peak at the buffer plus the runtime.
/// </summary>
internal static class MemoryRelief
{
    public static void AfterBatch() => GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
}

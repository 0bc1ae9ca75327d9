using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Hashing;

namespace LlmBatch.Simulator;

/// <summary>
/// The simulated Files and Batches APIs behind <see cref="BatchEndpoints"/>: the files, the batches, the enqueued-token
/// limit and the fault draws. A batch's fate is drawn from the seed, its input file's content and how many batches were
/// created on that content before, so a re-created batch gets a fresh draw and a rerun of a test replays exactly.
/// </summary>
internal sealed class BatchService
{
    private readonly ConcurrentDictionary<string, SimBatch> _batches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ulong, int> _uploads = new();
    private readonly ConcurrentDictionary<ulong, int> _creations = new();
    private readonly Lock _createLock = new();
    private readonly ulong _seed;
    private long _nextBatch;
    private long _nextRequest;

    public BatchService(SimulatorOptions options, ModelAnswer answers, StatsCollector stats)
    {
        Options = options;
        Answers = answers;
        Stats = stats;
        Files = new FileStore(options.TimeProvider);
        _seed = unchecked((ulong)options.Seed) ^ 0xBA7C4UL;
    }

    public SimulatorOptions Options { get; }

    public ModelAnswer Answers { get; }

    public StatsCollector Stats { get; }

    public FileStore Files { get; }

    public BatchCounters Counters => Stats.Batches;

    public DateTimeOffset Now => Options.TimeProvider.GetUtcNow();

    public ulong Hash(ReadOnlySpan<byte> content) => XxHash3.HashToUInt64(content, unchecked((long)_seed));

    public string NextRequestId() => "req_simb_" + Interlocked.Increment(ref _nextRequest).ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>Whether item <paramref name="index"/> of the batch with content hash <paramref name="hash"/> gets an injected 500.</summary>
    public bool ItemFails(ulong hash, int index) =>
        Options.PBatchItemError > 0 && new SplitMix(SplitMix.Mix(hash ^ 0x17E4UL, (ulong)index)).NextDouble() < Options.PBatchItemError;

    public BatchProblem TokenLimitProblem(string model) => new(
        "token_limit_exceeded",
        $"Enqueued token limit reached for {model} in organization org-simulator. Limit: {Options.BatchEnqueuedTokens.ToString("N0", CultureInfo.InvariantCulture)} enqueued tokens. "
        + "Please try submitting fewer tasks or wait for existing batches to finish.",
        null,
        null);

    public SimFile Upload(string filename, string purpose, byte[] content)
    {
        var duplicate = _uploads.AddOrUpdate(XxHash3.HashToUInt64(content), 1, static (_, n) => n + 1) > 1;
        Counters.Uploaded(content.LongLength, duplicate);
        return Files.Add(filename, purpose, content);
    }

    public bool DeleteFile(string id)
    {
        if (!Files.Delete(id))
        {
            return false;
        }

        Counters.Deleted();
        return true;
    }

    /// <summary>Creates a batch on an uploaded file; validation happens now, its outcome shows when validation ends.</summary>
    public SimBatch Create(SimFile input, BatchRequestInfo request, bool azure)
    {
        var check = BatchInputCheck.Check(input.Content, request.Endpoint, azure);
        long tokens = 0;
        if (check.Problems.Count == 0)
        {
            foreach (var line in check.Lines)
            {
                var body = input.Content.AsSpan(line.BodyOffset, line.BodyLength).ToArray();
                if (ModelAnswer.PathOf(line.Kind) is { } path && Answers.Parse(line.Kind, path, body, out _, out var prompt) is null)
                {
                    tokens += prompt;
                }
            }
        }

        lock (_createLock)
        {
            var now = Now;
            var duplicate = false;
            long enqueued = 0;
            foreach (var other in _batches.Values)
            {
                other.Advance(now);
                duplicate |= other.InputFileId == input.Id && other.Live;
                if (other.KeyName == request.KeyName && other.Model == check.Model && other.Enqueued)
                {
                    enqueued += other.Tokens;
                }
            }

            var fate = check.Problems.Count > 0 ? BatchFate.Invalid : DrawFate(input.Content);
            if (fate != BatchFate.Invalid && Options.BatchEnqueuedTokens > 0 && enqueued + tokens > Options.BatchEnqueuedTokens)
            {
                fate = BatchFate.TokenLimit;
                Counters.TokenLimitRejected();
            }

            var id = "batch_" + Interlocked.Increment(ref _nextBatch).ToString("x24", CultureInfo.InvariantCulture);
            var batch = new SimBatch(this, id, input, request, check, fate, tokens, now);
            _batches[id] = batch;
            Counters.Created(duplicate);
            return batch;
        }
    }

    public SimBatch? Get(string id)
    {
        if (!_batches.TryGetValue(id, out var batch))
        {
            return null;
        }

        batch.Advance(Now);
        return batch;
    }

    /// <summary>A page of batches, newest first, starting after <paramref name="after"/>.</summary>
    public (List<SimBatch> Page, bool HasMore) List(string? after, int limit)
    {
        var all = _batches.Values.OrderByDescending(b => b.Id, StringComparer.Ordinal).ToList();
        var start = after is null ? 0 : all.FindIndex(b => b.Id == after) + 1;
        var page = all.Skip(start).Take(limit).ToList();
        var now = Now;
        foreach (var batch in page)
        {
            batch.Advance(now);
        }

        return (page, start + page.Count < all.Count);
    }

    private BatchFate DrawFate(byte[] content)
    {
        var hash = Hash(content);
        var nth = _creations.AddOrUpdate(hash, 1, static (_, n) => n + 1);
        var u = new SplitMix(SplitMix.Mix(hash ^ _seed, (ulong)nth)).NextDouble();
        return u < Options.PBatchFail ? BatchFate.Fail
            : u < Options.PBatchFail + Options.PBatchExpire ? BatchFate.Expire
            : BatchFate.Complete;
    }
}

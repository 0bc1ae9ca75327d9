using System.Runtime.InteropServices;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch.Caching;

/// <summary>
/// Counts the repeated bodies of an input one request at a time, for <see cref="RepeatIndex"/>: either over the requests
/// of a file (<see cref="RepeatIndex.BuildAsync"/>) or as the <see cref="IRequestSink"/> of the input check, so that a
/// run reads its file once for both. The set of every body key seen (8 bytes a slot, outside the GC heap) lives only
/// while counting; <see cref="Build"/> frees it and keeps one entry per repeated body.
/// </summary>
internal sealed class RepeatCounter(ReusePolicy policy, string provider) : IRequestSink, IDisposable
{
    private readonly UInt128 _providerHash = RequestKey.ProviderHash(provider);
    private readonly Dictionary<ulong, int> _counts = [];
    private NativeKeySet<ulong>? _seen = new();
    private long _total;
    private long _reusable;
    private long _repeats;

    /// <inheritdoc/>
    public void Expect(long requests) => _seen?.EnsureCapacity(requests);

    /// <inheritdoc/>
    public void Add(BatchRequest request)
    {
        var seen = _seen ?? throw new InvalidOperationException("The index was built already.");
        _total++;
        if (!ResponseReuseOptions.IsReusable(request, policy) || !RepeatIndex.TryKey(_providerHash, request, out var key))
        {
            return;
        }

        _reusable++;
        if (!seen.Add(key.Fold))
        {
            _repeats++;
            ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_counts, key.Fold, out var existed);
            count = existed ? count + 1 : 2;
        }
    }

    /// <summary>The index of what was counted; the counter is spent.</summary>
    public RepeatIndex Build()
    {
        Dispose();
        return new RepeatIndex(_counts, _total, _reusable, _repeats);
    }

    /// <summary>Frees the set of keys seen; a counter never built (the check failed) is disposed by its owner.</summary>
    public void Dispose()
    {
        _seen?.Dispose();
        _seen = null;
    }
}

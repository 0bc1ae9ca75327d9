namespace LlmBatch.LocalModel.Tests;

/// <summary>
/// Encodes a text as a vector derived from its characters, records every batch it was given, can hold the first
/// call until released (so that callers queue up behind it), and throws for the text "boom".
/// </summary>
internal sealed class FakeSentenceEncoder : ISentenceEncoder
{
    private readonly ManualResetEventSlim? _gate;
    private readonly List<string[]> _batches = [];
    private int _calls;

    public FakeSentenceEncoder(bool holdFirstCall = false)
    {
        _gate = holdFirstCall ? new ManualResetEventSlim(false) : null;
    }

    public ManualResetEventSlim FirstCallStarted { get; } = new(false);

    public int Dimensions => 4;

    public IReadOnlyList<string[]> Batches
    {
        get
        {
            lock (_batches)
            {
                return _batches.ToList();
            }
        }
    }

    public void Release() => _gate?.Set();

    public static float[] VectorFor(string text) => [text.Length, text.Length > 0 ? text[0] : 0, text.GetHashCode(StringComparison.Ordinal) % 1000, 1];

    public float[][] Encode(string[] texts, CancellationToken cancellationToken)
    {
        lock (_batches)
        {
            _batches.Add(texts);
        }

        if (Interlocked.Increment(ref _calls) == 1)
        {
            FirstCallStarted.Set();
            _gate?.Wait(cancellationToken);
        }

        if (texts.Contains("boom"))
        {
            throw new InvalidOperationException("the model cannot take this input");
        }

        return texts.Select(VectorFor).ToArray();
    }
}

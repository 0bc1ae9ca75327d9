namespace LlmBatch.Input;

/// <summary>
/// The running state of one pass of <see cref="BatchInputConverter"/> over a file: the problems (listed up to a cap,
/// all counted), the ids seen, blank lines and the item count.
/// </summary>
internal sealed class ConversionState
{
    private const int MaxListedErrors = 100;

    private readonly List<BatchInputError> _errors = [];
    private long _total;

    public HashSet<string> Ids { get; } = new(StringComparer.Ordinal);

    public long BlankLines { get; set; }

    public long ItemNumber { get; set; }

    public void Add(BatchInputError error)
    {
        _total++;
        if (_errors.Count < MaxListedErrors)
        {
            _errors.Add(error);
        }
    }

    public void ThrowIfErrors()
    {
        if (_total > 0)
        {
            throw new BatchInputException(_errors, _total);
        }
    }
}

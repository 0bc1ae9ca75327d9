using LlmBatch.BatchApi;

namespace LlmBatch.Simulator;

/// <summary>The Batch API figures of <see cref="SimulatorBatchStats"/>, counted lock-free.</summary>
internal sealed class BatchCounters
{
    private long _filesUploaded;
    private long _bytesUploaded;
    private long _duplicateUploads;
    private long _filesDeleted;
    private long _batchesCreated;
    private long _duplicateBatches;
    private long _tokenLimitRejected;
    private long _completed;
    private long _failed;
    private long _expired;
    private long _cancelled;
    private long _itemsAnswered;
    private long _itemErrors;

    public void Uploaded(long bytes, bool duplicate)
    {
        Interlocked.Increment(ref _filesUploaded);
        Interlocked.Add(ref _bytesUploaded, bytes);
        if (duplicate)
        {
            Interlocked.Increment(ref _duplicateUploads);
        }
    }

    public void Deleted() => Interlocked.Increment(ref _filesDeleted);

    public void Created(bool duplicate)
    {
        Interlocked.Increment(ref _batchesCreated);
        if (duplicate)
        {
            Interlocked.Increment(ref _duplicateBatches);
        }
    }

    public void TokenLimitRejected() => Interlocked.Increment(ref _tokenLimitRejected);

    public void Ended(BatchApiStatus status)
    {
        switch (status)
        {
            case BatchApiStatus.Completed: Interlocked.Increment(ref _completed); break;
            case BatchApiStatus.Failed: Interlocked.Increment(ref _failed); break;
            case BatchApiStatus.Expired: Interlocked.Increment(ref _expired); break;
            case BatchApiStatus.Cancelled: Interlocked.Increment(ref _cancelled); break;
            default: break;
        }
    }

    public void Answered(bool error)
    {
        Interlocked.Increment(ref _itemsAnswered);
        if (error)
        {
            Interlocked.Increment(ref _itemErrors);
        }
    }

    public SimulatorBatchStats Snapshot() => new()
    {
        FilesUploaded = Interlocked.Read(ref _filesUploaded),
        BytesUploaded = Interlocked.Read(ref _bytesUploaded),
        DuplicateUploads = Interlocked.Read(ref _duplicateUploads),
        FilesDeleted = Interlocked.Read(ref _filesDeleted),
        BatchesCreated = Interlocked.Read(ref _batchesCreated),
        DuplicateBatches = Interlocked.Read(ref _duplicateBatches),
        TokenLimitRejected = Interlocked.Read(ref _tokenLimitRejected),
        Completed = Interlocked.Read(ref _completed),
        Failed = Interlocked.Read(ref _failed),
        Expired = Interlocked.Read(ref _expired),
        Cancelled = Interlocked.Read(ref _cancelled),
        ItemsAnswered = Interlocked.Read(ref _itemsAnswered),
        ItemErrors = Interlocked.Read(ref _itemErrors),
    };
}

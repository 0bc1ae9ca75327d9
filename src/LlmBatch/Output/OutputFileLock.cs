namespace LlmBatch;

/// <summary>
/// Makes one run the only writer of an output file. On Unix, .NET turns <see cref="FileShare.Read"/> on a
/// writable handle into a shared lock, so two writers would not exclude each other; instead an exclusive lock
/// is taken on a sibling <c>.lock</c> file. The lock dies with the process (a kill -9 leaves no stale lock),
/// and the file is deleted on release.
/// </summary>
internal sealed class OutputFileLock : IDisposable
{
    private readonly FileStream _stream;

    private OutputFileLock(FileStream stream, string lockPath)
    {
        _stream = stream;
        LockPath = lockPath;
    }

    /// <summary>The lock file beside the output.</summary>
    public string LockPath { get; }

    /// <summary>Takes the lock for <paramref name="outputPath"/>, creating its directory if needed.</summary>
    /// <exception cref="IOException">Another run holds the lock; the message names the output file.</exception>
    public static OutputFileLock Acquire(string outputPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        var full = Path.GetFullPath(outputPath);
        var directory = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var lockPath = full + ".lock";
        try
        {
            // DeleteOnClose with FileShare.None makes the runtime re-check, after locking, that the path still
            // names the locked file, so a run that raced with another's release cannot lock a deleted file.
            var stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose);
            return new OutputFileLock(stream, lockPath);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException)
        {
            throw new IOException(
                $"{outputPath} is being written by another llmbatch run (it holds {lockPath}). Wait for that run to finish, or choose another output file.",
                ex);
        }
    }

    public void Dispose() => _stream.Dispose();
}

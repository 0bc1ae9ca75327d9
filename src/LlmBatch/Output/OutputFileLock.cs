using LlmBatch.Files;

namespace LlmBatch.Output;

/// <summary>
/// Makes one run the only writer of an output file, whatever path names it. The lock is on the file itself, not on
/// its name: on Linux an open-file-description lock on the output (any link, symlink or spelling reaches the same
/// inode, so a second run is refused however it names the file, while readers are not disturbed); everywhere an
/// exclusive lock on a <c>.lock</c> file beside the output's canonical path (every link resolved), which also covers
/// the moment a repair replaces the file. .NET's own <see cref="FileShare"/> cannot do this on Unix: a writable handle
/// shared for reading gets only a shared lock, so two writers would not exclude each other. Both locks die with the
/// process (a kill -9 leaves no stale lock), and the <c>.lock</c> file is deleted on release.
/// </summary>
internal sealed class OutputFileLock : IDisposable
{
    private readonly FileStream _fileLock;
    private readonly FileStream? _identityLock;

    private OutputFileLock(FileStream fileLock, FileStream? identityLock, string lockPath)
    {
        _fileLock = fileLock;
        _identityLock = identityLock;
        LockPath = lockPath;
    }

    /// <summary>The lock file beside the output (beside the file a link points to, for a link).</summary>
    public string LockPath { get; }

    /// <summary>
    /// Takes the lock for <paramref name="outputPath"/>, creating its directory and, unless
    /// <paramref name="createMissing"/> is false, the file (empty, when missing) so that it has an identity to lock.
    /// A file whose readers take "empty" as "broken" (a JSON state file) passes false: while it is missing only the
    /// <c>.lock</c> file guards it.
    /// </summary>
    /// <exception cref="IOException">Another run holds the lock; the message names the output file.</exception>
    public static OutputFileLock Acquire(string outputPath, bool createMissing = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        var full = Path.GetFullPath(outputPath);
        var directory = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // A device or a pipe cannot be read back to resume (reading /dev/full never ends, /dev/stdout may block).
        if (!NativeFiles.IsRegularOrMissing(full))
        {
            throw new IOException($"{outputPath} is not a regular file (a device, a pipe or a socket); the output must be a file that can be read back to resume.");
        }

        // Never truncates: an existing output is what a rerun resumes from.
        var held = createMissing || File.Exists(full) ? LockIdentity(outputPath, full) : null;
        var lockPath = FileIdentity.Canonical(full) + ".lock";
        try
        {
            // DeleteOnClose with FileShare.None makes the runtime re-check, after locking, that the path still
            // names the locked file, so a run that raced with another's release cannot lock a deleted file.
            var stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose);
            return new OutputFileLock(stream, held, lockPath);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException)
        {
            held?.Dispose();
            throw Held(outputPath, lockPath, ex);
        }
        catch
        {
            held?.Dispose();
            throw;
        }
    }

    // The open-file-description lock on the file itself; null where the platform has none.
    private static FileStream? LockIdentity(string outputPath, string full)
    {
        var identity = new FileStream(full, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        bool? locked;
        try
        {
            locked = NativeFiles.TryLockExclusive(identity.SafeFileHandle);
            if (locked == false)
            {
                throw Held(outputPath, full + ".lock", null);
            }
        }
        catch
        {
            identity.Dispose();
            throw;
        }

        if (locked == true)
        {
            return identity;
        }

        // Where no such lock exists, the handle has nothing to hold.
        identity.Dispose();
        return null;
    }

    public void Dispose()
    {
        _fileLock.Dispose();
        _identityLock?.Dispose();
    }

    private static IOException Held(string outputPath, string lockPath, Exception? inner) => new(
        $"{outputPath} is being written by another llmbatch run (it holds {lockPath}). Wait for that run to finish, or choose another output file.",
        inner);
}

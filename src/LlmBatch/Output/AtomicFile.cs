using LlmBatch.Files;

namespace LlmBatch.Output;

/// <summary>
/// One file being replaced atomically: the content goes to a temp file with a unique name in the same directory (same
/// file system, so the rename is atomic), created exclusively (a file or link already there under that name is never
/// opened, let alone followed), given the permissions of the regular file it replaces; <see cref="CommitAsync"/> forces
/// it to disk, renames it over the target and forces the directory too, so the rename survives a power loss.
/// Disposed without a commit, the temp file is deleted and the target is untouched.
/// </summary>
internal sealed class AtomicFile : IAsyncDisposable, IDisposable
{
    private readonly string _target;
    private readonly string _temp;
    private bool _committed;

    private AtomicFile(string target, string temp, FileStream stream)
    {
        _target = target;
        _temp = temp;
        Stream = stream;
    }

    /// <summary>Where the content goes until the commit.</summary>
    public FileStream Stream { get; }

    /// <summary>
    /// Starts replacing <paramref name="path"/>. With <paramref name="throughLink"/> a path that is a link replaces the
    /// file it points to (an output the user reaches by a link stays a link); without it, whatever is at the path is
    /// replaced, a link included, so content never goes through a link someone else may have put there.
    /// <c>readable</c> opens the temporary file for reading too (a Parquet append reads back its footer).
    /// </summary>
    public static AtomicFile Begin(string path, bool throughLink, bool readable = false)
    {
        var target = throughLink ? FileIdentity.Canonical(path) : Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(target)!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        UnixFileMode? mode = null;
        if (!OperatingSystem.IsWindows() && File.Exists(target) && new FileInfo(target).LinkTarget is null)
        {
            mode = File.GetUnixFileMode(target);
        }

        var stream = new FileStream(temp, FileMode.CreateNew, readable ? FileAccess.ReadWrite : FileAccess.Write, FileShare.None, bufferSize: 1 << 16, useAsync: true);
        try
        {
            if (mode is { } m && !OperatingSystem.IsWindows())
            {
                // Before any content goes in: a private file is never readable by others, not even for a moment.
                File.SetUnixFileMode(stream.SafeFileHandle, m);
            }
        }
        catch
        {
            stream.Dispose();
            File.Delete(temp);
            throw;
        }

        return new AtomicFile(target, temp, stream);
    }

    /// <summary>Forces the content to disk and puts it in place of the target.</summary>
    /// <param name="durable">
    /// False for a file that can be rebuilt (a report): it still replaces the target in one step for every reader, but
    /// is not forced to disk, so a crash right after may leave it empty. Its two fsyncs were most of the wall time of a
    /// small run's report on a busy disk.
    /// </param>
    public async Task CommitAsync(bool durable = true)
    {
        await Stream.FlushAsync().ConfigureAwait(false);
        Commit(durable);
    }

    /// <summary>Forces the content to disk and puts it in place of the target.</summary>
    /// <param name="durable">False for a file that can be rebuilt; see <see cref="CommitAsync"/>.</param>
    public void Commit(bool durable = true)
    {
        Stream.Flush(flushToDisk: durable);
        Stream.Dispose();
        File.Move(_temp, _target, overwrite: true);
        _committed = true;
        if (durable)
        {
            NativeFiles.FsyncDirectory(Path.GetDirectoryName(_target)!);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync().ConfigureAwait(false);
        DeleteUncommitted();
    }

    public void Dispose()
    {
        Stream.Dispose();
        DeleteUncommitted();
    }

    private void DeleteUncommitted()
    {
        if (!_committed && File.Exists(_temp))
        {
            File.Delete(_temp);
        }
    }
}

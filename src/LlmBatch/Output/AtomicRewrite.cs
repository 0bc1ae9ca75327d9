namespace LlmBatch;

/// <summary>
/// Replaces a file with new content without a moment where it is half written: the content goes to a temp file with
/// a unique name in the same directory (same file system, so the rename is atomic), created exclusively (a file or link
/// already there under that name is never opened, let alone followed), given the permissions of the file it replaces,
/// forced to disk, renamed over it, and the directory is forced to disk too, so the rename itself survives a power loss.
/// </summary>
internal static class AtomicRewrite
{
    /// <summary>
    /// Rewrites an existing data file (an output being repaired or reordered). A path that is a link rewrites the file
    /// it points to, so the user's link stays a link.
    /// </summary>
    public static Task RunAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        ReplaceAsync(FileIdentity.Canonical(path), write, cancellationToken);

    /// <summary>
    /// Writes a file LlmBatch produces (a report, a merged table). Whatever is at the path is replaced, a link included:
    /// the content never goes through a link someone else may have put there.
    /// </summary>
    public static Task CreateAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        ReplaceAsync(Path.GetFullPath(path), write, cancellationToken);

    private static async Task ReplaceAsync(string full, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        UnixFileMode? mode = null;
        if (!OperatingSystem.IsWindows() && File.Exists(full) && new FileInfo(full).LinkTarget is null)
        {
            mode = File.GetUnixFileMode(full);
        }

        try
        {
            var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
            await using (output.ConfigureAwait(false))
            {
                if (mode is { } m && !OperatingSystem.IsWindows())
                {
                    // Before any content goes in: a private file is never readable by others, not even for a moment.
                    File.SetUnixFileMode(output.SafeFileHandle, m);
                }

                await write(output, cancellationToken).ConfigureAwait(false);
                output.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
            NativeFiles.FsyncDirectory(directory);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}

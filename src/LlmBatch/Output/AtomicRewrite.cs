namespace LlmBatch;

/// <summary>
/// Replaces a file with new content without a moment where it is half written: the content goes to a temp file
/// in the same directory (same filesystem, so the rename is atomic), is forced to disk, then renamed over it.
/// </summary>
internal static class AtomicRewrite
{
    public static async Task RunAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
            await using (output.ConfigureAwait(false))
            {
                await write(output, cancellationToken).ConfigureAwait(false);
                output.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
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

namespace LlmBatch.Output;

/// <summary>Replaces a whole file in one step, through an <see cref="AtomicFile"/>.</summary>
internal static class AtomicRewrite
{
    /// <summary>
    /// Rewrites an existing data file (an output being repaired or reordered). A path that is a link rewrites the file
    /// it points to, so the user's link stays a link.
    /// </summary>
    public static Task RunAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        ReplaceAsync(path, throughLink: true, durable: true, write, cancellationToken);

    /// <summary>
    /// Writes a file LlmBatch produces (a report, a merged table). Whatever is at the path is replaced, a link included:
    /// the content never goes through a link someone else may have put there.
    /// </summary>
    public static Task CreateAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        ReplaceAsync(path, throughLink: false, durable: true, write, cancellationToken);

    /// <summary>
    /// Writes a file LlmBatch produces and can produce again from the results (a report), as <see cref="CreateAsync"/>
    /// does but not forced to disk (see <see cref="AtomicFile.CommitAsync"/>).
    /// </summary>
    public static Task CreateRebuildableAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        ReplaceAsync(path, throughLink: false, durable: false, write, cancellationToken);

    private static async Task ReplaceAsync(string path, bool throughLink, bool durable, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var file = AtomicFile.Begin(path, throughLink);
        await using (file.ConfigureAwait(false))
        {
            await write(file.Stream, cancellationToken).ConfigureAwait(false);

            // The rest of the buffer goes out synchronously with the commit's own flush and rename, which are
            // synchronous anyway: an awaited flush only moved the same write to a thread-pool thread.
            file.Commit(durable);
        }
    }
}

namespace LlmBatch.Cli.Progress;

/// <summary>A running progress display; disposing it draws the last figures.</summary>
internal interface IProgressView : IAsyncDisposable
{
    /// <summary>
    /// Shows that the run is stopping (a stop was requested) with <paramref name="message"/>, without tearing the
    /// display; <paramref name="immediately"/> means the process exits right after, so the terminal is left usable.
    /// </summary>
    void Stopping(string message, bool immediately);
}

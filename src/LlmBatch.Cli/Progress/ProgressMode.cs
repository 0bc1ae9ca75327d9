namespace LlmBatch.Cli.Progress;

/// <summary>How the run shows its progress (<c>--progress</c>).</summary>
internal enum ProgressMode
{
    /// <summary>Rich when the terminal is interactive and not redirected, else plain.</summary>
    Auto,

    /// <summary>A live Spectre.Console display.</summary>
    Rich,

    /// <summary>A plain line every few seconds (to stderr), for CI, pipes and nohup.</summary>
    Plain,

    /// <summary>Nothing (<c>--quiet</c>).</summary>
    None,
}

using System.ComponentModel;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary>The options <c>llmbatch cache stats</c> and <c>cache clear</c> share.</summary>
internal class CacheSettings : CommandSettings
{
    /// <summary>The default cache file, as the README's examples name it.</summary>
    public const string DefaultPath = ".llmbatch-cache.db";

    [CommandArgument(0, "[PATH]")]
    [Description("The response cache file given to `run --cache` (default .llmbatch-cache.db).")]
    public string Path { get; init; } = DefaultPath;
}

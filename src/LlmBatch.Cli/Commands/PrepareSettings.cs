using System.ComponentModel;
using LlmBatch.Input;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary>The item options plus the endpoint of the requests: what <c>prepare</c> and <c>run</c> take.</summary>
internal abstract class PrepareSettings : InputSettings
{
    /// <summary>The endpoint when <c>--url</c> is not given.</summary>
    internal const string DefaultUrl = EndpointPaths.ChatCompletions;

    [CommandOption("--url <URL>")]
    [Description(EndpointPaths.ChatCompletions + " (default), " + EndpointPaths.Embeddings + ", " + EndpointPaths.Completions + " or " + EndpointPaths.Responses + ".")]
    public string? Url { get; init; }

    internal override bool AnyGiven => base.AnyGiven || Url is not null;

    internal BatchInputConversionOptions ToConversionOptions() => ToConversionOptions(Url ?? DefaultUrl);
}

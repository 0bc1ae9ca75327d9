using System.ComponentModel;
using LlmBatch.Input;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary>The item options plus the endpoint of the requests: what <c>prepare</c> and <c>run</c> take.</summary>
internal abstract class PrepareSettings : InputSettings
{
    /// <summary>The endpoint when <c>--url</c> is not given.</summary>
    internal const string DefaultUrl = "/v1/chat/completions";

    [CommandOption("--url <URL>")]
    [Description("/v1/chat/completions (default), /v1/embeddings, /v1/completions or /v1/responses.")]
    public string? Url { get; init; }

    internal override bool AnyGiven => base.AnyGiven || Url is not null;

    internal BatchInputConversionOptions ToConversionOptions() => ToConversionOptions(Url ?? DefaultUrl);
}

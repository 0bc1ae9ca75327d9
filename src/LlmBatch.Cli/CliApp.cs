using Spectre.Console.Cli;

namespace LlmBatch.Cli;

/// <summary>The command tree of <c>llmbatch</c>; each command is a thin shell over the library.</summary>
internal static class CliApp
{
    public static Task<int> RunAsync(string[] args)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("llmbatch");
            config.UseStrictParsing();
            // Commands are registered here, one line each.
            config.AddCommand<Commands.ValidateCommand>("validate").WithDescription("Check a Batch API input file (every line, unique ids) and estimate its tokens, without sending anything.");
        });
        return app.RunAsync(args);
    }
}

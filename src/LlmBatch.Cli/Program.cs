using LlmBatch.Cli;
using LlmBatch.Cli.Terminal;

// Before anything is printed: text from files, servers and ids reaches the terminal with its control characters escaped.
TerminalOutput.Install();
return await CliApp.RunAsync(args).ConfigureAwait(false);

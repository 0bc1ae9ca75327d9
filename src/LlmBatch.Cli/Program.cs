using LlmBatch.Cli;

return await CliApp.RunAsync(args).ConfigureAwait(false);

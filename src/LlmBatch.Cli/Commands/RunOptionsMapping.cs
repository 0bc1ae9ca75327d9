namespace LlmBatch.Cli.Commands;

/// <summary>The flags of <c>llmbatch run</c> as the library's options: what was not given keeps the library's default.</summary>
internal static class RunOptionsMapping
{
    /// <summary>The engine's options: limits, concurrency, retries, timeouts and memory.</summary>
    public static BatchOptions ToBatchOptions(this RunSettings settings)
    {
        // What was not given keeps the library's default: the nullable options default to null, the others are read
        // from a fresh instance so that this mapping never restates a default.
        var defaults = new BatchOptions();
        return new BatchOptions
        {
            RequestsPerMinute = settings.Rpm,
            TokensPerMinute = settings.Tpm,
            Concurrency = settings.Concurrency,

            // A fixed concurrency above the default bound raises the bound with it, unless the bound was given too.
            MaxConcurrency = settings.MaxConcurrency ?? Math.Max(defaults.MaxConcurrency, settings.Concurrency ?? 0),
            PackSize = settings.Pack,
            StallTimeout = settings.StallTimeout ?? defaults.StallTimeout,
            MaxAttempts = settings.MaxAttempts ?? defaults.MaxAttempts,
            DefaultMaxOutputTokens = settings.DefaultMaxTokens ?? defaults.DefaultMaxOutputTokens,
            AttemptTimeout = settings.AttemptTimeout,
            ItemDeadline = settings.ItemDeadline,
            MaxMemoryBytes = settings.MaxMemory,
        };
    }

    /// <summary>The checks of the input file: the line cap of <c>--max-line-bytes</c>; tokens are not counted (run counts them as it sends).</summary>
    public static Input.BatchValidationOptions ToValidationOptions(this RunSettings settings)
    {
        var validation = new Input.BatchValidationOptions { CountTokens = false };
        if (settings.MaxLineBytes is { } maxLine)
        {
            validation.MaxLineBytes = maxLine;
        }

        return validation;
    }

    /// <summary>The online job over <paramref name="input"/> (the file as given, or the prepared requests).</summary>
    public static BatchJobOptions ToJobOptions(this RunSettings settings, string input, Input.BatchValidationOptions validation)
    {
        var job = new BatchJobOptions
        {
            InputPath = input,
            OutputPath = settings.OutputPath,
            RetryFailed = settings.RetryFailed,
            PreserveOrder = settings.PreserveOrder,
            Validation = validation,
        };
        if (settings.Grace is { } grace)
        {
            job.ShutdownGracePeriod = grace;
        }

        return job;
    }
}

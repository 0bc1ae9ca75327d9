namespace LlmBatch.Cli.Commands;

/// <summary>The flags of <c>llmbatch run</c> as the library's options: what was not given keeps the library's default.</summary>
internal static class RunOptionsMapping
{
    /// <summary>The engine's options: limits, concurrency, retries, timeouts and memory.</summary>
    public static BatchOptions ToBatchOptions(this RunSettings settings)
    {
        var options = new BatchOptions
        {
            RequestsPerMinute = settings.Rpm,
            TokensPerMinute = settings.Tpm,
        };
        if (settings.MaxConcurrency is { } c)
        {
            options.MaxConcurrency = c;
        }

        if (settings.Concurrency is { } fixedConcurrency)
        {
            options.Concurrency = fixedConcurrency;

            // A fixed concurrency above the default bound raises the bound with it, unless the bound was given too.
            if (settings.MaxConcurrency is null)
            {
                options.MaxConcurrency = Math.Max(options.MaxConcurrency, fixedConcurrency);
            }
        }

        if (settings.Pack is { } pack)
        {
            options.PackSize = pack;
        }

        if (settings.StallTimeout is { } stall)
        {
            options.StallTimeout = stall;
        }

        if (settings.MaxAttempts is { } a)
        {
            options.MaxAttempts = a;
        }

        if (settings.DefaultMaxTokens is { } t)
        {
            options.DefaultMaxOutputTokens = t;
        }

        if (settings.AttemptTimeout is { } timeout)
        {
            options.AttemptTimeout = timeout;
        }

        if (settings.ItemDeadline is { } deadline)
        {
            options.ItemDeadline = deadline;
        }

        if (settings.MaxMemory is { } memory)
        {
            options.MaxMemoryBytes = memory;
        }

        return options;
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

using System.ComponentModel;
using LlmBatch.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary>The options of <c>llmbatch worker</c>.</summary>
internal sealed class WorkerSettings : CommandSettings
{
    [CommandOption("--redis <URL>")]
    [Description("The Redis the jobs are in (required): redis://[user:password@]host:6379[/db], rediss:// for TLS; the password also from LLMBATCH_REDIS_PASSWORD.")]
    public string? Redis { get; init; }

    [CommandOption("--concurrency <N>")]
    [Description("Items this worker holds at most at once (default 64); it claims only what it has room for.")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? Concurrency { get; init; }

    [CommandOption("--once")]
    [Description("Leave once no open job this worker can run is left, instead of waiting for the next (started before any job, it waits for the first).")]
    public bool Once { get; init; }

    [CommandOption("-q|--quiet")]
    [Description("Print nothing but errors.")]
    public bool Quiet { get; init; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Redis))
        {
            return ValidationResult.Error("--redis is required: the Redis the jobs of `run --redis` are in (redis://host:6379).");
        }

        return Concurrency is < 1 or > 100_000
            ? ValidationResult.Error($"--concurrency must be between 1 and 100000 (was {Concurrency}).")
            : ValidationResult.Success();
    }
}

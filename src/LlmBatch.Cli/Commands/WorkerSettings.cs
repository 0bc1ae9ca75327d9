using System.ComponentModel;
using LlmBatch.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary>The options of <c>llmbatch worker</c>.</summary>
internal sealed class WorkerSettings : CommandSettings
{
    [CommandOption("--redis <URL>")]
    [Description("The Redis the jobs are in (required): redis://[[user:password@]]host:6379[[/db]], rediss:// for TLS; the password also from LLMBATCH_REDIS_PASSWORD.")]
    public string? Redis { get; init; }

    [CommandOption("--concurrency <N>")]
    [Description("Items this worker holds at most at once (default 64); it claims only what it has room for.")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? Concurrency { get; init; }

    [CommandOption("--once")]
    [Description("Leave once no open job this worker can run is left, instead of waiting for the next (started before any job, it waits for the first).")]
    public bool Once { get; init; }

    [CommandOption("--otlp")]
    [Description("Export metrics and traces over OTLP (endpoint from OTEL_EXPORTER_OTLP_ENDPOINT or --otlp-endpoint); worker figures carry a worker tag.")]
    public bool Otlp { get; init; }

    [CommandOption("--otlp-endpoint <URL>")]
    [Description("OTLP endpoint (implies --otlp).")]
    public string? OtlpEndpoint { get; init; }

    [CommandOption("--prometheus-port <PORT>")]
    [Description("Serve Prometheus metrics on http://127.0.0.1:PORT/metrics while the worker runs.")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? PrometheusPort { get; init; }

    [CommandOption("-q|--quiet")]
    [Description("Print nothing but errors.")]
    public bool Quiet { get; init; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Redis))
        {
            return ValidationResult.Error("--redis is required: the Redis the jobs of `run --redis` are in (redis://host:6379).");
        }

        var problems = new List<string>();
        CliValues.CheckRange(problems, "--concurrency", Concurrency, 1, 100_000);
        CliValues.CheckRange(problems, "--prometheus-port", PrometheusPort, 1, 65535);
        if (OtlpEndpoint is not null && !Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out _))
        {
            problems.Add($"--otlp-endpoint: '{Providers.UrlRedaction.Redact(OtlpEndpoint)}' is not a URL");
        }

        return problems.Count == 0 ? ValidationResult.Success() : ValidationResult.Error(string.Join("; ", problems));
    }
}

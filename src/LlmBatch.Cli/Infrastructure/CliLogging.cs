using Microsoft.Extensions.Logging;
using ZLogger;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// Diagnostics for the CLI through ZLogger, to stderr so stdout stays the command's result: warnings by default;
/// with <c>--verbose</c> also the limits learned from headers and every 429 pause. Built on the first message
/// (<see cref="DeferredLoggerFactory"/>).
/// </summary>
internal static class CliLogging
{
    public static ILoggerFactory Create(bool verbose)
    {
        var minimum = verbose ? LogLevel.Debug : LogLevel.Warning;
        return new DeferredLoggerFactory(minimum, () => Build(minimum));
    }

    private static ILoggerFactory Build(LogLevel minimum) =>
        LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(minimum);
            builder.AddZLoggerConsole(options =>
            {
                options.LogToStandardErrorThreshold = LogLevel.Trace;
                options.UseFormatter(() =>
                {
                    var plain = new ZLogger.Formatters.PlainTextZLoggerFormatter();
                    plain.SetPrefixFormatter($"llmbatch: {0:HH:mm:ss} {1}: ", (in MessageTemplate template, in LogInfo info) => template.Format(info.Timestamp, info.LogLevel));

                    // Messages can quote custom_ids and server text: their control characters are escaped.
                    return new Terminal.EscapingLogFormatter(plain);
                });
            });
        });
}

using System.ComponentModel;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Sqlite;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary><c>llmbatch cache clear [PATH] [--older-than D]</c>: deletes cached answers and gives the space back.</summary>
internal sealed class CacheClearCommand : AsyncCommand<CacheClearCommand.Settings>
{
    public sealed class Settings : CacheSettings
    {
        [CommandOption("--older-than <DURATION>")]
        [Description("Delete only answers not stored or used for this long, e.g. 720h or 30m (default: delete every answer).")]
        public string? OlderThan { get; init; }

        public override ValidationResult Validate() =>
            OlderThan is not null && !CliValues.TryParseDuration(OlderThan, out _)
                ? ValidationResult.Error($"--older-than: '{OlderThan}' is not a duration (e.g. 720h, 30m)")
                : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.Path))
        {
            CliApp.Error($"{settings.Path}: no such cache file");
            return CliApp.ExitUsage;
        }

        DateTimeOffset? since = CliValues.TryParseDuration(settings.OlderThan, out var age) ? DateTimeOffset.UtcNow - age : null;
        var cache = SqliteResponseCache.Open(new SqliteResponseCacheOptions { Path = settings.Path });
        await using (cache.ConfigureAwait(false))
        {
            var deleted = await cache.ClearAsync(since, cancellationToken).ConfigureAwait(false);
            var left = cache.GetStatistics().Entries;
            Console.Out.WriteLine($"{settings.Path}: deleted {deleted:N0} answer(s), {left:N0} left");
        }

        return CliApp.ExitSuccess;
    }
}

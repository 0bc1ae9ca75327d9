using System.ComponentModel;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Sqlite;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary><c>llmbatch cache clear [PATH] [--older-than D]</c>: deletes cached answers and gives the space back.</summary>
internal sealed class CacheClearCommand : AsyncCommand<CacheClearCommand.Settings>
{
    public sealed class Settings : CacheSettings
    {
        [CommandOption("--older-than <DURATION>")]
        [Description("Delete only answers not stored or used for this long, e.g. 720h or 30m (default: delete every answer).")]
        [TypeConverter(typeof(DurationConverter))]
        public TimeSpan? OlderThan { get; init; }

    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.Path))
        {
            CliApp.Error($"{settings.Path}: no such cache file");
            return CliApp.ExitUsage;
        }

        // An age older than the calendar (--older-than 1000000h) keeps every answer, as any age older than the cache does.
        var now = DateTimeOffset.UtcNow;
        DateTimeOffset? since = settings.OlderThan is not { } age ? null : age < now - DateTimeOffset.MinValue ? now - age : DateTimeOffset.MinValue;
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

using System.Globalization;
using LlmBatch.Cli.Progress;
using LlmBatch.Sqlite;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary><c>llmbatch cache stats [PATH]</c>: what a response cache holds.</summary>
internal sealed class CacheStatsCommand : AsyncCommand<CacheSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, CacheSettings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.Path))
        {
            CliApp.Error($"{settings.Path}: no such cache file (a run creates it with --cache {settings.Path})");
            return CliApp.ExitUsage;
        }

        var cache = SqliteResponseCache.Open(new SqliteResponseCacheOptions { Path = settings.Path });
        await using (cache.ConfigureAwait(false))
        {
            var s = cache.GetStatistics();
            var c = CultureInfo.InvariantCulture;
            var output = Console.Out;
            output.WriteLine(s.Path);
            output.WriteLine(string.Create(c, $"  answers   {s.Entries:N0} ({ProgressSnapshot.Megabytes(s.BodyBytes)} of bodies, file {ProgressSnapshot.Megabytes(s.FileBytes)})"));
            if (s.Oldest is { } oldest && s.Newest is { } newest)
            {
                output.WriteLine(string.Create(c, $"  stored    {oldest.UtcDateTime:yyyy-MM-dd HH:mm} to {newest.UtcDateTime:yyyy-MM-dd HH:mm} UTC"));
            }

            if (s.LastUsed is { } used)
            {
                output.WriteLine(string.Create(c, $"  last used {used.UtcDateTime:yyyy-MM-dd HH:mm} UTC"));
            }

            foreach (var (model, n) in s.ByModel)
            {
                output.WriteLine(string.Create(c, $"  model     {model}: {n:N0}"));
            }
        }

        return CliApp.ExitSuccess;
    }
}

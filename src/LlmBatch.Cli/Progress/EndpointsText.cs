using System.Globalization;
using System.Text;
using LlmBatch.Endpoints;

namespace LlmBatch.Cli.Progress;

/// <summary>Each endpoint's figures of a run over several (<c>--endpoints</c>), for the progress line, the panel and the summary.</summary>
internal static class EndpointsText
{
    /// <summary>Each endpoint's attempts per minute between two snapshots.</summary>
    public static IReadOnlyList<double> Rates(IReadOnlyList<EndpointProgress> now, IReadOnlyList<EndpointProgress>? previous, double minutes)
    {
        if (now.Count == 0 || minutes <= 0)
        {
            return [];
        }

        var rates = new double[now.Count];
        for (var i = 0; i < now.Count; i++)
        {
            var before = previous is not null && i < previous.Count ? previous[i].Attempts : 0;
            rates[i] = (now[i].Attempts - before) / minutes;
        }

        return rates;
    }

    /// <summary>One endpoint: <c>east 1,203 ok 0 failed 2×429 1,180 req/min (limit 1,200)</c>, with its state when it is not in.</summary>
    public static string Describe(EndpointProgress e, double? requestsPerMinute)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"{e.Name} {e.Succeeded:#,0} ok {e.Failed:#,0} failed {e.RateLimited:#,0}×429");
        if (requestsPerMinute is { } rate)
        {
            sb.Append(c, $" {rate:#,0} req/min{ProgressSnapshot.Limit(e.RequestsPerMinuteLimit)}");
        }

        sb.Append(State(e));
        return sb.ToString();
    }

    /// <summary>" OUT (HTTP 500)", " probing", or "" for an endpoint in.</summary>
    public static string State(EndpointProgress e) => e.State switch
    {
        EndpointState.Out => " OUT" + (e.LastError is { } why ? " (" + why + ")" : ""),
        EndpointState.Probing => " probing",
        _ => "",
    };

    /// <summary>Each endpoint's text, for the plain line (" | endpoints: a …; b …") and the panel's cells.</summary>
    public static ProgressParts Parts(IReadOnlyList<EndpointProgress> endpoints, IReadOnlyList<double> rates)
    {
        if (endpoints.Count == 0)
        {
            return ProgressParts.None;
        }

        var parts = new string[endpoints.Count];
        for (var i = 0; i < endpoints.Count; i++)
        {
            parts[i] = Describe(endpoints[i], i < rates.Count ? rates[i] : null);
        }

        return new ProgressParts("endpoints", parts);
    }
}

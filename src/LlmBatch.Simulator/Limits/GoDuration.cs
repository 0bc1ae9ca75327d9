using System.Globalization;
using System.Text;

namespace LlmBatch.Simulator;

/// <summary>
/// Formats durations as OpenAI's <c>x-ratelimit-reset-*</c> headers do (Go's duration format, to the millisecond):
/// <c>0s</c>, <c>120ms</c>, <c>1s</c>, <c>8.64s</c>, <c>6m0s</c>, <c>1h2m3s</c>.
/// </summary>
internal static class GoDuration
{
    // Sub-second resets are by far the most common on a busy key; keep their strings instead of building them per response.
    private static readonly string[] Milliseconds = Enumerable.Range(0, 1000)
        .Select(ms => ms == 0 ? "0s" : ms.ToString(CultureInfo.InvariantCulture) + "ms").ToArray();

    public static string Format(TimeSpan value)
    {
        var totalMs = (long)Math.Ceiling(Math.Max(0, value.TotalMilliseconds));
        if (totalMs < 1000)
        {
            return Milliseconds[totalMs];
        }

        var hours = totalMs / 3_600_000;
        var minutes = totalMs / 60_000 % 60;
        var ms = totalMs % 60_000;
        var sb = new StringBuilder(16);
        if (hours > 0)
        {
            sb.Append(hours).Append('h');
        }

        if (hours > 0 || minutes > 0)
        {
            sb.Append(minutes).Append('m');
        }

        sb.Append(ms / 1000);
        var frac = ms % 1000;
        if (frac > 0)
        {
            sb.Append('.').Append(frac.ToString("000", CultureInfo.InvariantCulture).TrimEnd('0'));
        }

        return sb.Append('s').ToString();
    }
}

using System.Globalization;
using System.Text;

namespace LlmBatch.Reporting;

/// <summary>
/// A small inline-SVG chart: lines (optionally filled), stacked bars and horizontal limit lines over a numeric x axis,
/// with nice ticks, a legend and a native tooltip (<c>title</c>) on every point. No script, no external resource.
/// </summary>
internal sealed class SvgChart
{
    private const double Width = 660;
    private const double Height = 280;
    private const double Left = 62;
    private const double Right = 14;
    private const double Top = 50;
    private const double Bottom = 34;

    private readonly List<(string Name, string Color, IReadOnlyList<(double X, double Y)> Points, bool Area)> _lines = [];
    private readonly List<(string Name, string Color, double Y)> _limits = [];
    private readonly List<(string Name, string Color, double[] Values)> _stacks = [];
    private IReadOnlyList<double> _barXs = [];
    private double _barWidth;

    public SvgChart(string id, string title)
    {
        Id = id;
        Title = title;
    }

    public string Id { get; }

    public string Title { get; }

    public Func<double, string> XFormat { get; set; } = v => v.ToString("0.##", CultureInfo.InvariantCulture);

    public Func<double, string> YFormat { get; set; } = Compact;

    /// <summary>Labels bars by index instead of by a numeric axis (for histograms).</summary>
    public IReadOnlyList<string>? Categories { get; set; }

    public void Line(string name, string color, IReadOnlyList<(double X, double Y)> points, bool area = false) =>
        _lines.Add((name, color, points, area));

    public void Limit(string name, string color, double y) => _limits.Add((name, color, y));

    public void Bars(IReadOnlyList<double> xs, double width, string name, string color, double[] values)
    {
        _barXs = xs;
        _barWidth = width;
        _stacks.Add((name, color, values));
    }

    public static string Compact(double v)
    {
        var a = Math.Abs(v);
        return a switch
        {
            >= 1e9 => (v / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + "G",
            >= 1e6 => (v / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M",
            >= 1e4 => (v / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k",
            >= 100 => v.ToString("0", CultureInfo.InvariantCulture),
            >= 1 => v.ToString("0.#", CultureInfo.InvariantCulture),
            0 => "0",
            _ => v.ToString("0.##", CultureInfo.InvariantCulture),
        };
    }

    public string Render()
    {
        var hasData = _lines.Any(l => l.Points.Count > 0) || _stacks.Count > 0;
        double xMin = double.PositiveInfinity, xMax = double.NegativeInfinity, yMax = 0;
        foreach (var line in _lines)
        {
            foreach (var (x, y) in line.Points)
            {
                xMin = Math.Min(xMin, x);
                xMax = Math.Max(xMax, x);
                if (double.IsFinite(y))
                {
                    yMax = Math.Max(yMax, y);
                }
            }
        }

        for (var i = 0; i < _barXs.Count; i++)
        {
            xMin = Math.Min(xMin, _barXs[i]);
            xMax = Math.Max(xMax, _barXs[i] + _barWidth);
            var stacked = 0d;
            foreach (var stack in _stacks)
            {
                stacked += stack.Values[i];
            }

            yMax = Math.Max(yMax, stacked);
        }

        foreach (var limit in _limits)
        {
            yMax = Math.Max(yMax, limit.Y);
        }

        if (!double.IsFinite(xMin) || xMax <= xMin)
        {
            xMin = double.IsFinite(xMin) ? xMin : 0;
            xMax = xMin + 1;
        }

        var (yTop, yStep) = NiceScale(yMax);
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double X(double x) => Left + ((x - xMin) / (xMax - xMin) * plotW);
        double Y(double y) => Top + plotH - (Math.Max(0, y) / yTop * plotH);

        var svg = new StringBuilder(8192);
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" id=\"{Id}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{Esc(Title)}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"ct\" x=\"{Left}\" y=\"18\">{Esc(Title)}</text>");

        // Grid and y axis.
        for (var v = 0d; v <= yTop + (yStep / 2); v += yStep)
        {
            var y = Y(v);
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(y)}\" y2=\"{F(y)}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"yl\" x=\"{Left - 6}\" y=\"{F(y + 4)}\">{Esc(YFormat(v))}</text>");
        }

        // X axis labels.
        if (Categories is { } categories)
        {
            var every = Math.Max(1, (int)Math.Ceiling(categories.Count / 8.0));
            for (var i = 0; i < categories.Count; i += every)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text class=\"xl\" x=\"{F(X(i + (_barWidth / 2)))}\" y=\"{Height - Bottom + 16}\">{Esc(categories[i])}</text>");
            }
        }
        else
        {
            var (_, xStep) = NiceScale((xMax - xMin) / 1.0, 6, time: true);
            var first = Math.Ceiling(xMin / xStep) * xStep;
            for (var v = first; v <= xMax + 1e-9; v += xStep)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text class=\"xl\" x=\"{F(X(v))}\" y=\"{Height - Bottom + 16}\">{Esc(XFormat(v))}</text>");
            }
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(Y(0))}\" y2=\"{F(Y(0))}\"/>");

        if (!hasData)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"empty\" x=\"{F(Left + (plotW / 2))}\" y=\"{F(Top + (plotH / 2))}\">no data</text>");
        }

        // Stacked bars.
        if (_stacks.Count > 0)
        {
            var gap = _barXs.Count > 60 ? 0 : 0.12;
            for (var i = 0; i < _barXs.Count; i++)
            {
                var baseline = 0d;
                var x0 = X(_barXs[i] + (_barWidth * gap / 2));
                var w = Math.Max(0.5, X(_barXs[i] + (_barWidth * (1 - (gap / 2)))) - x0);
                var label = Categories is { } cats ? cats[i] : XFormat(_barXs[i]);
                foreach (var (name, color, values) in _stacks)
                {
                    var v = values[i];
                    if (v <= 0)
                    {
                        continue;
                    }

                    var yTopPx = Y(baseline + v);
                    svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(x0)}\" y=\"{F(yTopPx)}\" width=\"{F(w)}\" height=\"{F(Y(baseline) - yTopPx)}\" fill=\"{color}\"><title>{Esc(label)}: {Esc(name)} {Esc(YFormat(v))}</title></rect>");
                    baseline += v;
                }
            }
        }

        // Lines (areas first so lines stay on top).
        foreach (var (name, color, points, area) in _lines.OrderBy(l => l.Area ? 0 : 1))
        {
            var finite = points.Where(p => double.IsFinite(p.Y)).ToList();
            if (finite.Count == 0)
            {
                continue;
            }

            var path = new StringBuilder();
            foreach (var (x, y) in finite)
            {
                path.Append(path.Length == 0 ? "M" : "L").Append(F(X(x))).Append(',').Append(F(Y(y)));
            }

            if (area)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<path d=\"{path}L{F(X(finite[^1].X))},{F(Y(0))}L{F(X(finite[0].X))},{F(Y(0))}Z\" fill=\"{color}\" fill-opacity=\"0.18\" stroke=\"none\"/>");
            }

            svg.Append(CultureInfo.InvariantCulture, $"<path d=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>");
            if (finite.Count <= 240)
            {
                foreach (var (x, y) in finite)
                {
                    svg.Append(CultureInfo.InvariantCulture, $"<circle class=\"pt\" cx=\"{F(X(x))}\" cy=\"{F(Y(y))}\" r=\"3\" fill=\"{color}\"><title>{Esc(XFormat(x))}: {Esc(name)} {Esc(YFormat(y))}</title></circle>");
                }
            }
        }

        foreach (var (name, color, y) in _limits)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(Y(y))}\" y2=\"{F(Y(y))}\" stroke=\"{color}\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"><title>{Esc(name)} {Esc(YFormat(y))}</title></line>");
        }

        // Legend, right-aligned on its own row under the title.
        var entries = _stacks.Select(s => (s.Name, s.Color, Dashed: false))
            .Concat(_lines.Select(l => (l.Name, l.Color, Dashed: false)))
            .Concat(_limits.Select(l => (l.Name, l.Color, Dashed: true)))
            .ToList();
        var lx = Width - Right;
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            var (name, color, dashed) = entries[i];
            var textWidth = (name.Length * 6.3) + 8;
            lx -= textWidth;
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"lg\" x=\"{F(lx)}\" y=\"36\">{Esc(name)}</text>");
            lx -= 16;
            svg.Append(dashed
                ? string.Create(CultureInfo.InvariantCulture, $"<line x1=\"{F(lx)}\" x2=\"{F(lx + 12)}\" y1=\"32\" y2=\"32\" stroke=\"{color}\" stroke-width=\"2\" stroke-dasharray=\"4 2\"/>")
                : string.Create(CultureInfo.InvariantCulture, $"<rect x=\"{F(lx)}\" y=\"27\" width=\"12\" height=\"10\" rx=\"2\" fill=\"{color}\"/>"));
            lx -= 10;
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>A round upper bound for the axis and a round step giving about <paramref name="ticks"/> ticks.</summary>
    internal static (double Top, double Step) NiceScale(double max, int ticks = 5, bool time = false)
    {
        if (!(max > 0) || !double.IsFinite(max))
        {
            return (1, time ? 1 : 0.2);
        }

        var rough = max / ticks;
        double step;
        if (time && rough >= 1)
        {
            // Seconds: steps that read well on a clock.
            double[] clock = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
            step = clock.FirstOrDefault(c => c >= rough, 86400 * Math.Ceiling(rough / 86400));
        }
        else
        {
            var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
            var fraction = rough / magnitude;
            step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10) * magnitude;
        }

        return (Math.Ceiling(max / step) * step, step);
    }

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Esc(string text) => HtmlText.Escape(text);
}

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

    // Classes, not value tuples: a list, sort or query over a value type is generic code the precompiled tool does
    // not carry, and compiling it on the fly was most of the report's share of a one-item run's start-up.
    private readonly List<Series> _lines = [];
    private readonly List<Series> _limits = [];
    private readonly List<Series> _stacks = [];
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
        _lines.Add(new Series(name, color) { Points = points, Area = area });

    public void Limit(string name, string color, double y) => _limits.Add(new Series(name, color) { Y = y });

    public void Bars(IReadOnlyList<double> xs, double width, string name, string color, double[] values)
    {
        _barXs = xs;
        _barWidth = width;
        _stacks.Add(new Series(name, color) { Values = values });
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
        var hasData = _stacks.Count > 0;
        foreach (var line in _lines)
        {
            hasData |= line.Points.Count > 0;
        }

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
                foreach (var stack in _stacks)
                {
                    var (name, color, v) = (stack.Name, stack.Color, stack.Values[i]);
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
        foreach (var area in (ReadOnlySpan<bool>)[true, false])
        {
            foreach (var line in _lines)
            {
                if (line.Area == area)
                {
                    AppendLine(svg, line, X, Y);
                }
            }
        }

        foreach (var limit in _limits)
        {
            var (name, color, y) = (limit.Name, limit.Color, limit.Y);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(Y(y))}\" y2=\"{F(Y(y))}\" stroke=\"{color}\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"><title>{Esc(name)} {Esc(YFormat(y))}</title></line>");
        }

        // Legend, right-aligned on its own row under the title: bars, lines, then limits (dashed).
        List<Series> entries = [.. _stacks, .. _lines, .. _limits];
        var lx = Width - Right;
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            var (name, color, dashed) = (entries[i].Name, entries[i].Color, i >= _stacks.Count + _lines.Count);
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

    private void AppendLine(StringBuilder svg, Series line, Func<double, double> toX, Func<double, double> toY)
    {
        var (name, color, points, area) = (line.Name, line.Color, line.Points, line.Area);
        var finite = new List<(double X, double Y)>(points.Count);
        for (var i = 0; i < points.Count; i++)
        {
            if (double.IsFinite(points[i].Y))
            {
                finite.Add(points[i]);
            }
        }

        if (finite.Count == 0)
        {
            return;
        }

        var path = new StringBuilder();
        foreach (var (x, y) in finite)
        {
            path.Append(path.Length == 0 ? "M" : "L").Append(F(toX(x))).Append(',').Append(F(toY(y)));
        }

        if (area)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<path d=\"{path}L{F(toX(finite[^1].X))},{F(toY(0))}L{F(toX(finite[0].X))},{F(toY(0))}Z\" fill=\"{color}\" fill-opacity=\"0.18\" stroke=\"none\"/>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<path d=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>");
        if (finite.Count <= 240)
        {
            foreach (var (x, y) in finite)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<circle class=\"pt\" cx=\"{F(toX(x))}\" cy=\"{F(toY(y))}\" r=\"3\" fill=\"{color}\"><title>{Esc(XFormat(x))}: {Esc(name)} {Esc(YFormat(y))}</title></circle>");
            }
        }
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

    /// <summary>One line, limit or bar stack of the chart, with its legend entry.</summary>
    private sealed class Series(string name, string color)
    {
        public string Name { get; } = name;

        public string Color { get; } = color;

        public IReadOnlyList<(double X, double Y)> Points { get; init; } = [];

        public bool Area { get; init; }

        public double Y { get; init; }

        public double[] Values { get; init; } = [];
    }
}

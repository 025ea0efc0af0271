using System.Globalization;
using System.Text;
using Disco.Geo.Pictures;

namespace Disco.Geo.Bench.Earth.Pictures;

/// <summary>One bar: value, optional ± spread drawn as an error bar, optional label printed above it.</summary>
internal sealed record Bar(double Value, double Spread = 0, string? Label = null);

/// <summary>A named line of (x, y) points.</summary>
internal sealed record Line(string Name, IReadOnlyList<(double X, double Y)> Points, string Colour, bool Dashed = false);

/// <summary>
/// Small hand-written SVG charts (plain text, bars, lines, no scripts or fonts to fetch) that GitHub renders inline:
/// grouped bar charts with error bars for the rotation-robustness tables, and line charts for training curves.
/// </summary>
internal static class SvgCharts
{
    public static readonly string[] Palette = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"];

    private const string Font = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";

    /// <summary>
    /// Groups of bars (one group per entry of <paramref name="groups"/>, one bar per series), y axis from
    /// <paramref name="yMin"/> to <paramref name="yMax"/>.
    /// </summary>
    public static string GroupedBars(
        string title, string yLabel, IReadOnlyList<string> groups, IReadOnlyList<string> series, Func<int, int, Bar?> bar, double yMin, double yMax,
        string? footnote = null)
    {
        const int Left = 64, Right = 16, Top = 56, Bottom = 70;
        int groupWidth = Math.Max(150, 46 * series.Count + 40);
        int plotWidth = groups.Count * groupWidth;
        const int PlotHeight = 260;
        int width = Left + plotWidth + Right;
        int height = Top + PlotHeight + Bottom + (footnote is null ? 0 : 16);
        double Y(double v) => Top + PlotHeight * (1 - (Math.Clamp(v, yMin, yMax) - yMin) / (yMax - yMin));

        StringBuilder svg = Begin(width, height);
        svg.AppendLine(Text(width / 2.0, 22, title, 15, "middle", bold: true));
        AppendYAxis(svg, Left, Top, plotWidth, PlotHeight, yMin, yMax, yLabel, Y);

        int legendX = Left;
        for (int s = 0; s < series.Count; s++)
        {
            svg.AppendLine(Invariant($"<rect x=\"{legendX}\" y=\"34\" width=\"12\" height=\"12\" fill=\"{Palette[s % Palette.Length]}\"/>"));
            svg.AppendLine(Text(legendX + 16, 44, series[s], 12, "start"));
            legendX += 24 + (int)(series[s].Length * 7.2);
        }

        double barWidth = (groupWidth - 40.0) / series.Count;
        for (int g = 0; g < groups.Count; g++)
        {
            double x0 = Left + g * groupWidth + 20;
            for (int s = 0; s < series.Count; s++)
            {
                if (bar(g, s) is not Bar b || !double.IsFinite(b.Value))
                {
                    continue;
                }

                double x = x0 + s * barWidth;
                double top = Y(b.Value);
                svg.AppendLine(Invariant($"<rect x=\"{x + 2:F1}\" y=\"{top:F1}\" width=\"{barWidth - 4:F1}\" height=\"{Top + PlotHeight - top:F1}\" fill=\"{Palette[s % Palette.Length]}\"/>"));
                if (b.Spread > 0)
                {
                    double centre = x + barWidth / 2;
                    double hi = Y(b.Value + b.Spread), lo = Y(b.Value - b.Spread);
                    svg.AppendLine(Invariant($"<path d=\"M{centre:F1},{hi:F1}V{lo:F1}M{centre - 5:F1},{hi:F1}h10M{centre - 5:F1},{lo:F1}h10\" stroke=\"#222\" stroke-width=\"1.2\" fill=\"none\"/>"));
                }

                if (b.Label is not null)
                {
                    svg.AppendLine(Text(x + barWidth / 2, Math.Min(top, Y(b.Value + b.Spread)) - 4, b.Label, 10, "middle"));
                }
            }

            WrapLabel(svg, Left + g * groupWidth + groupWidth / 2.0, Top + PlotHeight + 18, groups[g], groupWidth);
        }

        if (footnote is not null)
        {
            svg.AppendLine(Text(Left, height - 8, footnote, 10, "start", colour: "#555"));
        }

        return End(svg);
    }

    /// <summary>Lines over a shared x axis; <paramref name="logY"/> plots log10 of positive y values.</summary>
    public static string Lines(string title, string xLabel, string yLabel, IReadOnlyList<Line> lines, bool logY = false, string? footnote = null)
    {
        const int Left = 70, Right = 16, Top = 40, PlotWidth = 560, PlotHeight = 260;
        int legendRows = lines.Count;
        int height = Top + PlotHeight + 50 + legendRows * 16 + (footnote is null ? 0 : 16);
        int width = Left + PlotWidth + Right;
        List<(double X, double Y)> all = lines.SelectMany(l => l.Points).Where(p => double.IsFinite(p.Y) && (!logY || p.Y > 0)).ToList();
        double xMax = all.Count == 0 ? 1 : all.Max(p => p.X);
        double xMin = all.Count == 0 ? 0 : Math.Min(0, all.Min(p => p.X));
        double Transform(double y) => logY ? Math.Log10(y) : y;
        double yMin = all.Count == 0 ? 0 : all.Min(p => Transform(p.Y));
        double yMax = all.Count == 0 ? 1 : all.Max(p => Transform(p.Y));
        if (logY)
        {
            yMin = Math.Floor(yMin * 2) / 2;
            yMax = Math.Ceiling(yMax * 2) / 2;
        }
        else
        {
            (yMin, yMax) = (Math.Min(0, yMin), yMax * 1.05);
        }

        if (yMax <= yMin)
        {
            yMax = yMin + 1;
        }

        double X(double x) => Left + PlotWidth * (x - xMin) / Math.Max(1e-12, xMax - xMin);
        double Y(double y) => Top + PlotHeight * (1 - (y - yMin) / (yMax - yMin));

        StringBuilder svg = Begin(width, height);
        svg.AppendLine(Text(width / 2.0, 22, title, 15, "middle", bold: true));
        if (logY)
        {
            svg.AppendLine(Invariant($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{PlotWidth}\" height=\"{PlotHeight}\" fill=\"none\" stroke=\"#888\"/>"));
            for (double e = Math.Ceiling(yMin); e <= yMax + 1e-9; e += 1)
            {
                svg.AppendLine(Invariant($"<line x1=\"{Left}\" x2=\"{Left + PlotWidth}\" y1=\"{Y(e):F1}\" y2=\"{Y(e):F1}\" stroke=\"#ddd\"/>"));
                svg.AppendLine(Text(Left - 6, Y(e) + 4, Number(Math.Pow(10, e)), 11, "end"));
            }

            svg.AppendLine(Invariant($"<text x=\"16\" y=\"{Top + PlotHeight / 2}\" font-size=\"12\" {Font} text-anchor=\"middle\" transform=\"rotate(-90 16 {Top + PlotHeight / 2})\">{Escape(yLabel)} (log scale)</text>"));
        }
        else
        {
            AppendYAxis(svg, Left, Top, PlotWidth, PlotHeight, yMin, yMax, yLabel, Y);
        }

        foreach (double tick in Ticks(xMin, xMax, 6))
        {
            svg.AppendLine(Invariant($"<line x1=\"{X(tick):F1}\" x2=\"{X(tick):F1}\" y1=\"{Top + PlotHeight}\" y2=\"{Top + PlotHeight + 4}\" stroke=\"#888\"/>"));
            svg.AppendLine(Text(X(tick), Top + PlotHeight + 16, Number(tick), 11, "middle"));
        }

        svg.AppendLine(Text(Left + PlotWidth / 2.0, Top + PlotHeight + 32, xLabel, 12, "middle"));
        for (int i = 0; i < lines.Count; i++)
        {
            Line line = lines[i];
            StringBuilder path = new();
            foreach ((double x, double y) in line.Points)
            {
                if (!double.IsFinite(y) || (logY && y <= 0))
                {
                    continue;
                }

                path.Append(Invariant($"{(path.Length == 0 ? 'M' : 'L')}{X(x):F1},{Y(Transform(y)):F1}"));
            }

            string dash = line.Dashed ? " stroke-dasharray=\"5,3\"" : "";
            svg.AppendLine($"<path d=\"{path}\" stroke=\"{line.Colour}\" stroke-width=\"1.6\" fill=\"none\"{dash}/>");
            int ly = Top + PlotHeight + 48 + i * 16;
            svg.AppendLine(Invariant($"<line x1=\"{Left}\" x2=\"{Left + 24}\" y1=\"{ly - 4}\" y2=\"{ly - 4}\" stroke=\"{line.Colour}\" stroke-width=\"2\"{dash}/>"));
            svg.AppendLine(Text(Left + 30, ly, line.Name, 12, "start"));
        }

        if (footnote is not null)
        {
            svg.AppendLine(Text(Left, height - 6, footnote, 10, "start", colour: "#555"));
        }

        return End(svg);
    }

    /// <summary>Exponential moving average (weight <paramref name="alpha"/> on the newest value), to show noisy step losses.</summary>
    public static IReadOnlyList<(double X, double Y)> Smooth(IReadOnlyList<(double X, double Y)> points, double alpha)
    {
        List<(double, double)> result = [];
        double? average = null;
        foreach ((double x, double y) in points)
        {
            average = average is double a ? a + alpha * (y - a) : y;
            result.Add((x, average.Value));
        }

        return result;
    }

    private static void AppendYAxis(StringBuilder svg, int left, int top, int plotWidth, int plotHeight, double yMin, double yMax, string yLabel, Func<double, double> y)
    {
        svg.AppendLine(Invariant($"<rect x=\"{left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#888\"/>"));
        foreach (double tick in Ticks(yMin, yMax, 5))
        {
            svg.AppendLine(Invariant($"<line x1=\"{left}\" x2=\"{left + plotWidth}\" y1=\"{y(tick):F1}\" y2=\"{y(tick):F1}\" stroke=\"#ddd\"/>"));
            svg.AppendLine(Text(left - 6, y(tick) + 4, Number(tick), 11, "end"));
        }

        svg.AppendLine(Invariant($"<text x=\"16\" y=\"{top + plotHeight / 2}\" font-size=\"12\" {Font} text-anchor=\"middle\" transform=\"rotate(-90 16 {top + plotHeight / 2})\">{Escape(yLabel)}</text>"));
    }

    private static void WrapLabel(StringBuilder svg, double x, double y, string label, int width)
    {
        // Break long group names at spaces so that they fit under their group.
        int perLine = Math.Max(8, (int)(width / 6.6));
        List<string> lines = [];
        string current = "";
        foreach (string word in label.Split(' '))
        {
            if (current.Length > 0 && current.Length + 1 + word.Length > perLine)
            {
                lines.Add(current);
                current = word;
            }
            else
            {
                current = current.Length == 0 ? word : current + " " + word;
            }
        }

        lines.Add(current);
        for (int i = 0; i < lines.Count; i++)
        {
            svg.AppendLine(Text(x, y + i * 14, lines[i], 12, "middle"));
        }
    }

    private static IEnumerable<double> Ticks(double min, double max, int approximately)
    {
        double span = max - min;
        if (!(span > 0))
        {
            yield return min;
            yield break;
        }

        double raw = span / approximately;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        for (double t = Math.Ceiling(min / step) * step; t <= max + step * 1e-9; t += step)
        {
            yield return Math.Round(t / step) * step;
        }
    }

    private static string Number(double v) =>
        Math.Abs(v) >= 1000 || (Math.Abs(v) < 0.01 && v != 0) ? v.ToString("G3", CultureInfo.InvariantCulture) : v.ToString("0.###", CultureInfo.InvariantCulture);

    private static StringBuilder Begin(int width, int height)
    {
        StringBuilder svg = new();
        svg.AppendLine(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">"));
        svg.AppendLine(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>"));
        return svg;
    }

    private static string End(StringBuilder svg)
    {
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static string Text(double x, double y, string text, int size, string anchor, bool bold = false, string colour = "#222") =>
        Invariant($"<text x=\"{x:F1}\" y=\"{y:F1}\" font-size=\"{size}\" {Font} text-anchor=\"{anchor}\" fill=\"{colour}\"{(bold ? " font-weight=\"bold\"" : "")}>{Escape(text)}</text>");

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}

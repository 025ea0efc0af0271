using System.Globalization;
using Disco.Geo.Pictures;

namespace Disco.Geo.Bench.Earth.Pictures;

/// <summary>
/// The grouped bar chart of <see cref="SvgCharts.GroupedBars"/> drawn as a PNG on a <see cref="Canvas"/>: README viewers
/// that do not render SVG (and image previews in issues) still show the rotation-robustness numbers.
/// </summary>
internal static class PngCharts
{
    private static readonly Colour Ink = Colour.Grey(30);
    private static readonly Colour GridLine = Colour.Grey(225);

    /// <summary>One group of bars per entry of <paramref name="groups"/>, one bar per series, y from <paramref name="yMin"/> to <paramref name="yMax"/>.</summary>
    public static Canvas GroupedBars(
        string title, IReadOnlyList<string> groups, IReadOnlyList<string> series, Func<int, int, Bar?> bar, double yMin, double yMax, double tick,
        string? footnote = null)
    {
        const int Left = 56, Right = 16, Top = 64, PlotHeight = 300, BarWidth = 52, Gap = 36;
        int groupWidth = series.Count * BarWidth + Gap;
        int plotWidth = groups.Count * groupWidth;
        int labelRows = groups.Max(g => Wrap(g, groupWidth - 8).Count);
        int bottom = 12 + labelRows * (BitmapFont.Height + 4) + (footnote is null ? 0 : BitmapFont.Height + 12);
        int width = Math.Max(Left + plotWidth + Right, Canvas.TextWidth(title, 2) + 16);
        int height = Top + PlotHeight + bottom + 8;
        Canvas canvas = new(width, height, Colour.White);
        int Y(double v) => Top + (int)Math.Round(PlotHeight * (1 - (Math.Clamp(v, yMin, yMax) - yMin) / (yMax - yMin)));

        canvas.DrawText(8, 8, title, Colour.Black, 2);
        int legendX = Left;
        for (int s = 0; s < series.Count; s++)
        {
            canvas.FillRectangle(legendX, 36, 12, 12, Series(s));
            legendX += 18 + canvas.DrawText(legendX + 18, 38, series[s], Ink) + 18;
        }

        // Horizontal grid and its labels; the axis does not start at zero, which the lowest label makes visible.
        for (double v = yMin; v <= yMax + 1e-9; v += tick)
        {
            int y = Y(v);
            canvas.FillRectangle(Left, y, plotWidth, 1, GridLine);
            string label = v.ToString("F2", CultureInfo.InvariantCulture);
            canvas.DrawText(Left - 6 - Canvas.TextWidth(label), y - BitmapFont.Height / 2, label, Ink);
        }

        canvas.FillRectangle(Left, Top, 1, PlotHeight + 1, Ink);
        canvas.FillRectangle(Left, Top + PlotHeight, plotWidth, 1, Ink);

        for (int g = 0; g < groups.Count; g++)
        {
            int x0 = Left + g * groupWidth + Gap / 2;
            for (int s = 0; s < series.Count; s++)
            {
                if (bar(g, s) is not Bar b || !double.IsFinite(b.Value))
                {
                    continue;
                }

                int x = x0 + s * BarWidth;
                int top = Y(b.Value);
                canvas.FillRectangle(x + 3, top, BarWidth - 6, Top + PlotHeight - top, Series(s));
                int labelTop = top;
                if (b.Spread > 0)
                {
                    int hi = Y(b.Value + b.Spread), lo = Y(b.Value - b.Spread);
                    int centre = x + BarWidth / 2;
                    canvas.FillRectangle(centre, hi, 1, Math.Max(1, lo - hi + 1), Colour.Black);
                    canvas.FillRectangle(centre - 5, hi, 11, 1, Colour.Black);
                    canvas.FillRectangle(centre - 5, lo, 11, 1, Colour.Black);
                    labelTop = Math.Min(labelTop, hi);
                }

                if (b.Label is not null)
                {
                    canvas.DrawText(x + (BarWidth - Canvas.TextWidth(b.Label)) / 2, labelTop - BitmapFont.Height - 3, b.Label, Ink);
                }
            }

            List<string> lines = Wrap(groups[g], groupWidth - 8);
            for (int i = 0; i < lines.Count; i++)
            {
                int centre = Left + g * groupWidth + groupWidth / 2;
                canvas.DrawText(centre - Canvas.TextWidth(lines[i]) / 2, Top + PlotHeight + 8 + i * (BitmapFont.Height + 4), lines[i], Ink);
            }
        }

        if (footnote is not null)
        {
            canvas.DrawText(8, height - BitmapFont.Height - 6, footnote, Colour.Grey(80));
        }

        return canvas;
    }

    private static Colour Series(int s)
    {
        string hex = SvgCharts.Palette[s % SvgCharts.Palette.Length];
        return new Colour(
            byte.Parse(hex.AsSpan(1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            byte.Parse(hex.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            byte.Parse(hex.AsSpan(5, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }

    /// <summary>Greedy word wrap to <paramref name="width"/> pixels of the bitmap font.</summary>
    private static List<string> Wrap(string text, int width)
    {
        List<string> lines = [];
        string current = "";
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = current.Length == 0 ? word : current + " " + word;
            if (current.Length > 0 && Canvas.TextWidth(candidate) > width)
            {
                lines.Add(current);
                current = word;
            }
            else
            {
                current = candidate;
            }
        }

        if (current.Length > 0)
        {
            lines.Add(current);
        }

        return lines;
    }
}

using Disco.Geo.Grids;
using Disco.Geo.Pictures;
using Disco.Geo.Raster.Rendering;

namespace Disco.Geo.Bench.Earth.Pictures;

/// <summary>
/// Draws a field on a sphere grid into a rectangle of a <see cref="Canvas"/> as an equirectangular map: north (or the
/// zenith) at the top, longitude (azimuth) −180° at the left edge increasing to the right — the layout of
/// <see cref="MapRenderer"/>, and for panoramas the column order of Disco.Geo.Scenes. Each pixel takes the nearest node
/// (nearest row by colatitude, nearest column by longitude), which keeps class maps crisp.
/// </summary>
internal static class SpherePanel
{
    /// <summary>Fills the rectangle with <paramref name="colourOfNode"/>(row, column) of the nearest node.</summary>
    public static void Draw(Canvas canvas, int x0, int y0, int width, int height, SphereGrid grid, Func<int, int, Colour> colourOfNode)
    {
        ReadOnlySpan<double> colatitudes = grid.Colatitudes;
        int[] rowOfPixel = new int[height];
        for (int y = 0; y < height; y++)
        {
            double theta = (y + 0.5) * Math.PI / height;
            int best = 0;
            for (int i = 1; i < colatitudes.Length; i++)
            {
                if (Math.Abs(colatitudes[i] - theta) < Math.Abs(colatitudes[best] - theta))
                {
                    best = i;
                }
            }

            rowOfPixel[y] = best;
        }

        int[] columnOfPixel = new int[width];
        for (int x = 0; x < width; x++)
        {
            double longitude = -180 + (x + 0.5) * 360.0 / width;
            double steps = (longitude - grid.LonOriginDegrees) / grid.LonStepDegrees;
            columnOfPixel[x] = (int)(((long)Math.Round(steps) % grid.NLon + grid.NLon) % grid.NLon);
        }

        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                canvas.Set(x0 + x, y0 + y, colourOfNode(rowOfPixel[y], columnOfPixel[x]));
            }
        }
    }

    /// <summary>
    /// Saves the picture that <paramref name="layout"/> draws with panels of <paramref name="panelWidth"/> pixels (and
    /// half as tall), narrowing the panels step by step until the PNG fits in <paramref name="maxBytes"/>: photographs
    /// compress poorly, and the README pictures must stay small. Returns the panel width used.
    /// </summary>
    public static int SaveWithin(string path, int maxBytes, int panelWidth, Func<int, int, Canvas> layout)
    {
        int width = panelWidth;
        while (true)
        {
            byte[] png = layout(width, width / 2).EncodePng();
            if (png.Length <= maxBytes || width <= 128)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                File.WriteAllBytes(path, png);
                return width;
            }

            width = Math.Max(128, (int)(width * 0.85) / 2 * 2);
        }
    }

    /// <summary>A colour from a <see cref="ColorMap"/> of the raster library.</summary>
    public static Colour From(ColorMap map, double value)
    {
        Rgba c = map.Map(value);
        return new Colour(c.R, c.G, c.B);
    }

    /// <summary>
    /// A captioned grid of panels: <paramref name="columns"/> per row, each <paramref name="panelWidth"/> ×
    /// <paramref name="panelHeight"/> with its caption above it, an optional title line on top, and an optional note
    /// line (e.g. a legend) at the bottom.
    /// </summary>
    public static Canvas Layout(
        IReadOnlyList<(string Caption, Action<Canvas, int, int> Draw)> panels, int columns, int panelWidth, int panelHeight, string? title = null,
        IReadOnlyList<(string Text, Colour Swatch)>? legend = null)
    {
        const int Margin = 6;
        const int CaptionHeight = BitmapFont.Height + 6;
        int rows = (panels.Count + columns - 1) / columns;
        int titleHeight = title is null ? 0 : BitmapFont.Height * 2 + 8;
        int legendHeight = legend is null ? 0 : BitmapFont.Height + 10;
        // Wide enough for the title too when the panels are small.
        int width = Math.Max(columns * panelWidth + (columns + 1) * Margin, title is null ? 0 : Canvas.TextWidth(title, 2) + 2 * Margin);
        int height = titleHeight + rows * (panelHeight + CaptionHeight + Margin) + Margin + legendHeight;
        Canvas canvas = new(width, height, Colour.White);
        if (title is not null)
        {
            canvas.DrawText(Margin, Margin, title, Colour.Black, 2);
        }

        for (int i = 0; i < panels.Count; i++)
        {
            int x = Margin + i % columns * (panelWidth + Margin);
            int y = titleHeight + Margin + i / columns * (panelHeight + CaptionHeight + Margin);
            canvas.DrawText(x, y, panels[i].Caption, Colour.Grey(30));
            panels[i].Draw(canvas, x, y + CaptionHeight);
        }

        if (legend is not null)
        {
            int x = Margin;
            int y = height - legendHeight + 2;
            foreach ((string text, Colour swatch) in legend)
            {
                canvas.FillRectangle(x, y, BitmapFont.Height, BitmapFont.Height, swatch);
                x += BitmapFont.Height + 4;
                x += canvas.DrawText(x, y, text, Colour.Grey(30)) + 12;
            }
        }

        return canvas;
    }
}

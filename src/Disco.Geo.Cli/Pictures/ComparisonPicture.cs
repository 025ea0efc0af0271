using System.Globalization;
using Disco.Geo.Pictures;

namespace Disco.Geo.Cli.Pictures;

/// <summary>
/// A class map beside the labels it should match, and where they differ: three equirectangular panels (rows of the
/// sphere grid top to bottom, nearest-neighbour scaled), in the model's class colours, nodes without data in light
/// grey, disagreements in red over a faded copy of the labels.
/// </summary>
internal static class ComparisonPicture
{
    private const int PanelWidth = 480;
    private static readonly Colour Ink = new(40, 40, 40);
    private static readonly Colour NoData = new(225, 225, 225);
    private static readonly Colour Wrong = new(220, 30, 30);

    /// <param name="title">Caption above the panels.</param>
    /// <param name="nlat">Grid rows.</param>
    /// <param name="nlon">Grid columns.</param>
    /// <param name="predicted">Class id per node, row-major.</param>
    /// <param name="truth">Label class id per node; negative or non-finite means unlabelled.</param>
    /// <param name="valid">Validity per node (1 valid).</param>
    /// <param name="colours">Colour per class id ("#rrggbb").</param>
    public static Canvas Draw(string title, int nlat, int nlon, ReadOnlySpan<float> predicted, ReadOnlySpan<float> truth, ReadOnlySpan<byte> valid, IReadOnlyList<string> colours)
    {
        Colour[] palette = [.. colours.Select(Parse)];
        int panelHeight = Math.Max(1, (int)Math.Round(PanelWidth * (double)nlat / nlon));
        var canvas = new Canvas((3 * PanelWidth) + 40, panelHeight + 50, Colour.White);
        canvas.DrawText(10, 8, title, Ink, 2);
        string[] captions = ["prediction", "labels (truth)", "disagreement (red)"];
        for (int panel = 0; panel < 3; panel++)
        {
            int left = 10 + (panel * (PanelWidth + 10));
            canvas.DrawText(left, 30, captions[panel], Ink);
            for (int y = 0; y < panelHeight; y++)
            {
                int row = Math.Min(nlat - 1, y * nlat / panelHeight);
                for (int x = 0; x < PanelWidth; x++)
                {
                    int k = (row * nlon) + Math.Min(nlon - 1, x * nlon / PanelWidth);
                    canvas.Set(left + x, 42 + y, NodeColour(panel, predicted[k], truth[k], valid[k], palette));
                }
            }
        }

        return canvas;
    }

    private static Colour NodeColour(int panel, float predicted, float truth, byte valid, Colour[] palette)
    {
        bool labelled = float.IsFinite(truth) && truth >= 0;
        if (valid == 0 || (panel > 0 && !labelled))
        {
            return NoData;
        }

        Colour Of(float id) => (int)id >= 0 && (int)id < palette.Length ? palette[(int)id] : Colour.Black;
        return panel switch
        {
            0 => Of(predicted),
            1 => Of(truth),
            _ => (int)MathF.Round(predicted) == (int)MathF.Round(truth) ? Of(truth).Mix(Colour.White, 0.75) : Wrong,
        };
    }

    private static Colour Parse(string hex)
    {
        if (hex.Length == 7 && hex[0] == '#' && int.TryParse(hex.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int rgb))
        {
            return new Colour((byte)(rgb >> 16), (byte)(rgb >> 8), (byte)rgb);
        }

        return Colour.Grey(128);
    }
}

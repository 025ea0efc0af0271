using System.Globalization;
using Disco.Geo.Gdal;
using Disco.Geo.Gdal.Utilities;

namespace Disco.Geo.Raster.Wrapping;

/// <summary>
/// A geographic raster repeated every 360° as an in-memory VRT mosaic, so that GDAL's warper finds source pixels for any
/// longitude a target asks for: 0..360 sources read for −180..180 targets and vice versa, and kernels at the
/// antimeridian see the pixels on its other side. Regional rasters leave gaps between copies; an alpha band then marks
/// what has data.
/// </summary>
internal sealed class LongitudeCopies : IDisposable
{
    private readonly List<GdalDataset> _created = [];

    private LongitudeCopies()
    {
    }

    /// <summary>The mosaic, or null when the target range needs no copies.</summary>
    internal GdalDataset? Mosaic { get; private set; }

    /// <summary>The alpha band of <see cref="Mosaic"/> that marks gaps (1-based), or 0.</summary>
    internal int CoverageBand { get; private set; }

    /// <summary>The shifts used, in multiples of 360°.</summary>
    internal IReadOnlyList<int> Shifts { get; private set; } = [];

    /// <summary>
    /// Builds copies of <paramref name="source"/> (outer bounds <paramref name="bounds"/>, degrees) wherever they
    /// intersect [<paramref name="targetWest"/>, <paramref name="targetEast"/>]. The datasets stay open until disposal.
    /// </summary>
    internal static LongitudeCopies Create(GdalDataset source, GeoBounds bounds, double pixelWidth, double targetWest, double targetEast,
        CancellationToken cancellationToken)
    {
        LongitudeCopies copies = new();
        List<int> shifts = [];
        for (int k = -2; k <= 2; k++)
        {
            if (bounds.East + k * 360.0 > targetWest && bounds.West + k * 360.0 < targetEast)
            {
                shifts.Add(k);
            }
        }

        copies.Shifts = shifts;
        if (shifts.All(k => k == 0))
        {
            return copies;
        }

        try
        {
            List<GdalDataset> shifted = [];
            foreach (int k in shifts)
            {
                cancellationToken.ThrowIfCancellationRequested();
                GdalDataset copy = GdalUtilities.Translate(source, string.Empty,
                    ["-of", "VRT", "-a_ullr", Format(bounds.West + k * 360.0), Format(bounds.North), Format(bounds.East + k * 360.0), Format(bounds.South)],
                    cancellationToken);
                copies._created.Add(copy);
                shifted.Add(copy);
            }

            bool gaps = bounds.Width < 360.0 - pixelWidth / 2;
            GdalDataset mosaic = GdalUtilities.BuildVrt(string.Empty, shifted, gaps ? ["-addalpha"] : [], cancellationToken);
            copies._created.Add(mosaic);
            copies.Mosaic = mosaic;
            if (gaps && mosaic.BandCount > source.BandCount)
            {
                copies.CoverageBand = mosaic.BandCount;
            }

            return copies;
        }
        catch
        {
            copies.Dispose();
            throw;
        }
    }

    /// <summary>"longitudes wrapped: copies … shifted by −360°, 0°, 360°".</summary>
    internal string Describe() =>
        $"longitudes wrapped: copies of the source shifted by {string.Join(", ", Shifts.Select(k => (k * 360).ToString(CultureInfo.InvariantCulture) + "°"))}";

    public void Dispose()
    {
        for (int i = _created.Count - 1; i >= 0; i--)
        {
            _created[i].Dispose();
        }

        _created.Clear();
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

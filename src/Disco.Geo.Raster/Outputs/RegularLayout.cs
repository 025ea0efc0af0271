using Disco.Geo.Gdal;
using Disco.Geo.Grids;

namespace Disco.Geo.Raster.Outputs;

/// <summary>
/// A sphere-grid map laid out as a regular EPSG:4326 raster, which is what GeoTIFF, GDAL and QGIS expect: one pixel per
/// grid node wherever the grid's latitudes are equispaced, so every node's value appears exactly once, at its location.
/// Columns are the grid's columns (pixel centres on the node longitudes). Rows, per grid kind:
/// <list type="bullet">
/// <item>equirectangular (n rows, pixel-centred latitudes): n rows of 180/n° from 90° to −90°, the nodes themselves;</item>
/// <item>equiangular (n rows including both poles): n rows of Δ = 180/(n − 1)° whose centres are the node latitudes
/// 90°, 90° − Δ, …, −90°. The cells are centred on the nodes, so the raster's extent is ±(90 + Δ/2)°: the pole rows'
/// cells reach half a row past the poles (GDAL, QGIS and rasterio report that extent; the values are exact);</item>
/// <item>Lobatto and equiangular-trapezoidal (poles included, latitudes not equispaced): the same n rows of
/// 180/(n − 1)° centred on 90°, …, −90°; the pole rows are the pole nodes, interior rows are resampled;</item>
/// <item>Gauss–Legendre (n rows, no poles, latitudes not equispaced): n pixel-centred rows of 180/n°, resampled.</item>
/// </list>
/// A resampled row takes its value at its centre latitude from the two grid rows around it: linear interpolation for
/// continuous bands, the nearer row for labels. A one-pixel-per-node regular raster cannot exist for non-equispaced
/// latitudes; the DISCO_LAYOUT metadata item says which case a file is.
/// </summary>
internal sealed class RegularLayout
{
    private RegularLayout(SphereGrid grid, int height, double pixelHeight, double north, bool isExact)
    {
        Grid = grid;
        Width = grid.NLon;
        Height = height;
        PixelWidth = grid.LonStepDegrees;
        PixelHeight = pixelHeight;
        North = north;
        IsExact = isExact;
        West = grid.LonOriginDegrees - grid.LonStepDegrees / 2;
    }

    internal SphereGrid Grid { get; }

    internal int Width { get; }

    internal int Height { get; }

    internal double West { get; }

    /// <summary>Top edge of the first row: 90°, or 90° + half a row when the first row's centre is the north pole.</summary>
    internal double North { get; }

    internal double South => North - Height * PixelHeight;

    internal double PixelWidth { get; }

    internal double PixelHeight { get; }

    /// <summary>True when each pixel is exactly one grid node (row i is grid row i).</summary>
    internal bool IsExact { get; }

    internal GeoTransform GeoTransform => GeoTransform.NorthUp(West, North, PixelWidth, PixelHeight);

    internal GeoBounds Bounds => new(West, South, West + 360, North);

    /// <summary>What a file's DISCO_LAYOUT metadata item says about this layout.</summary>
    internal string Description => IsExact
        ? Grid.HasPoleRows
            ? "one pixel per grid node: pixel centres are the nodes; the pole rows' cells extend half a row beyond ±90°"
            : "one pixel per grid node: pixel centres are the nodes"
        : Grid.HasPoleRows
            ? $"rows resampled from the {Grid} grid to {Height} rows centred on equispaced latitudes from 90° to -90° (the pole rows are the pole nodes; linear between rows, nearest row for classes)"
            : $"rows resampled from the {Grid} grid to {Height} pixel-centred rows (linear between rows; nearest row for classes)";

    internal static RegularLayout For(SphereGrid grid)
    {
        if (grid.HasPoleRows)
        {
            double step = 180.0 / (grid.NLat - 1);
            return new RegularLayout(grid, grid.NLat, step, 90 + step / 2, isExact: grid.Kind == GridKind.Equiangular);
        }

        return new RegularLayout(grid, grid.NLat, 180.0 / grid.NLat, 90, isExact: grid.Kind == GridKind.Equirectangular);
    }

    internal double RowLatitude(int row) => North - (row + 0.5) * PixelHeight;

    /// <summary>
    /// Resamples one band to the layout. Invalid pixels get <paramref name="noData"/>. Returns the values (row-major,
    /// Height × Width) and per-pixel validity.
    /// </summary>
    internal (float[] Values, bool[] Valid) Resample(SphereRaster raster, int band, bool categorical, float noData)
    {
        ReadOnlySpan<float> source = raster.Band(band);
        float[] values = new float[Width * Height];
        bool[] valid = new bool[Width * Height];
        for (int row = 0; row < Height; row++)
        {
            // Exact layouts copy grid row i to pixel row i; recomputing it from latitudes could round to a neighbour.
            (int upper, int lower, double t) = IsExact ? (row, row, 0.0) : Bracket(RowLatitude(row));
            if (categorical)
            {
                int nearest = t <= 0.5 ? upper : lower;
                lower = upper = nearest;
                t = 0;
            }

            for (int column = 0; column < Width; column++)
            {
                int a = upper * Width + column;
                int b = lower * Width + column;
                bool useA = t < 1;
                bool useB = t > 0;
                bool ok = (!useA || raster.Valid[a]) && (!useB || raster.Valid[b]);
                int k = row * Width + column;
                valid[k] = ok;
                values[k] = ok ? (float)((1 - t) * source[a] + t * source[b]) : noData;
            }
        }

        return (values, valid);
    }

    /// <summary>The grid rows around a latitude and the weight of the lower (southern) one.</summary>
    private (int Upper, int Lower, double T) Bracket(double latitude)
    {
        SphereGrid grid = Grid;
        if (latitude >= grid.LatitudeDegrees(0))
        {
            return (0, 0, 0);
        }

        int last = grid.NLat - 1;
        if (latitude <= grid.LatitudeDegrees(last))
        {
            return (last, last, 0);
        }

        int low = 0;
        int high = last;
        while (high - low > 1)
        {
            int middle = (low + high) / 2;
            if (grid.LatitudeDegrees(middle) >= latitude)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        double north = grid.LatitudeDegrees(low);
        double south = grid.LatitudeDegrees(high);
        double t = (north - latitude) / (north - south);
        if (t < 1e-12)
        {
            return (low, low, 0);
        }

        if (t > 1 - 1e-12)
        {
            return (high, high, 0);
        }

        return (low, high, t);
    }
}

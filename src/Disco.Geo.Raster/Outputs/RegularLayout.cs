using Disco.Geo.Gdal;
using Disco.Geo.Sphere.Grids;

namespace Disco.Geo.Raster.Outputs;

/// <summary>
/// A sphere-grid map laid out as a regular, pixel-centred EPSG:4326 raster, which is what GeoTIFF, GDAL and QGIS expect.
/// Columns are the grid's columns (pixel centres on the node longitudes, so no longitude resampling). Rows:
/// <list type="bullet">
/// <item>equirectangular grids are already pixel-centred: rows are copied;</item>
/// <item>grids with pole rows (equiangular, Lobatto, trapezoidal) with n rows become n − 1 rows of 180/(n − 1)°,
/// and Gauss–Legendre grids with n rows become n rows of 180/n°;</item>
/// <item>each output row takes its value at its centre latitude from the two grid rows around it: linear interpolation
/// for continuous bands, the nearer row for labels; above the first or below the last grid row the outermost row is
/// used. A pixel is valid when the rows it draws from are valid (for interpolation, both with non-zero weight).</item>
/// </list>
/// For equiangular grids the output rows sit exactly halfway between grid rows.
/// </summary>
internal sealed class RegularLayout
{
    private RegularLayout(SphereGrid grid, int height)
    {
        Grid = grid;
        Width = grid.NLon;
        Height = height;
        PixelWidth = grid.LonStepDegrees;
        PixelHeight = 180.0 / height;
        West = grid.LonOriginDegrees - grid.LonStepDegrees / 2;
    }

    internal SphereGrid Grid { get; }

    internal int Width { get; }

    internal int Height { get; }

    internal double West { get; }

    internal double PixelWidth { get; }

    internal double PixelHeight { get; }

    internal bool IsExact => Grid.Kind == GridKind.Equirectangular;

    internal GeoTransform GeoTransform => GeoTransform.NorthUp(West, 90, PixelWidth, PixelHeight);

    internal GeoBounds Bounds => new(West, -90, West + 360, 90);

    internal static RegularLayout For(SphereGrid grid) => grid.Kind switch
    {
        GridKind.Equirectangular or GridKind.LegendreGauss => new RegularLayout(grid, grid.NLat),
        _ => new RegularLayout(grid, grid.NLat - 1),
    };

    internal double RowLatitude(int row) => 90 - (row + 0.5) * PixelHeight;

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
            (int upper, int lower, double t) = Bracket(RowLatitude(row));
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

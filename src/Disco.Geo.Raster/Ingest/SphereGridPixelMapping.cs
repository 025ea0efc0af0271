using Disco.Geo.Gdal.Warping;
using Disco.Geo.Grids;

namespace Disco.Geo.Raster.Ingest;

/// <summary>
/// The pixels of a sphere grid as a GDAL warp destination in EPSG:4326. Column c spans longitudes
/// [lon0 + (c − ½)·Δλ, lon0 + (c + ½)·Δλ], so the pixel centre c + ½ is the node longitude. Rows need not be equispaced:
/// the row coordinate maps to latitude piecewise linearly through the knots (i + ½ → latitude of row i), with the outer
/// edges half a spacing beyond the first and last rows, clamped to ±90°. Hence every resampling kernel samples exactly
/// at the nodes, and area kernels (average, mode) see cells bounded by the midpoints between rows, which for pole rows
/// are the polar caps. An optional rotation turns grid directions into source directions (camera orientation of a
/// panorama); it is applied to unit vectors built with x = (lat 0, lon 0), y = (lat 0, lon 90°), z = north pole.
/// </summary>
internal sealed class SphereGridPixelMapping : IPixelMapping
{
    private const double DegreesToRadians = Math.PI / 180.0;

    // GDAL treats a sample exactly on the last edge of a source (row = height) as outside it; pole nodes sample a
    // hair's breadth inside the pole so that a raster ending at ±90° still covers them.
    private const double PoleLatitude = 90.0 - 1e-9;

    private readonly double _lonWest;
    private readonly double _lonStep;
    private readonly double[] _rowKnots;
    private readonly double[] _latKnots;
    private readonly double[]? _rotation;

    /// <param name="grid">The destination grid.</param>
    /// <param name="gridToSource">Row-major 3×3 rotation taking grid directions to source directions, or null for none.</param>
    internal SphereGridPixelMapping(SphereGrid grid, double[]? gridToSource = null)
    {
        _lonStep = grid.LonStepDegrees;
        _lonWest = grid.LonOriginDegrees - _lonStep / 2;
        int n = grid.NLat;
        _rowKnots = new double[n + 2];
        _latKnots = new double[n + 2];
        for (int i = 0; i < n; i++)
        {
            _rowKnots[i + 1] = i + 0.5;
            _latKnots[i + 1] = grid.LatitudeDegrees(i);
        }

        double northSpacing = n > 1 ? _latKnots[1] - _latKnots[2] : 180.0;
        double southSpacing = n > 1 ? _latKnots[n - 1] - _latKnots[n] : 180.0;
        _rowKnots[0] = 0;
        _latKnots[1] = Math.Clamp(_latKnots[1], -PoleLatitude, PoleLatitude);
        _latKnots[n] = Math.Clamp(_latKnots[n], -PoleLatitude, PoleLatitude);
        _latKnots[0] = Math.Min(PoleLatitude, _latKnots[1] + northSpacing / 2);
        _rowKnots[n + 1] = n;
        _latKnots[n + 1] = Math.Max(-PoleLatitude, _latKnots[n] - southSpacing / 2);
        if (gridToSource is not null && gridToSource.Length != 9)
        {
            throw new ArgumentException("A rotation must be a 3x3 matrix in row-major order.", nameof(gridToSource));
        }

        _rotation = gridToSource;
    }

    /// <summary>Latitude of a (fractional) row coordinate.</summary>
    internal double RowToLatitude(double row)
    {
        if (double.IsNaN(row))
        {
            return double.NaN;
        }

        int last = _rowKnots.Length - 1;
        if (row <= _rowKnots[0])
        {
            return _latKnots[0];
        }

        if (row >= _rowKnots[last])
        {
            return _latKnots[last];
        }

        // Knots sit at 0, 0.5, 1.5, …, n − 0.5, n: segment k spans knots k and k + 1.
        int k = row < 0.5 ? 0 : Math.Min(last - 1, (int)Math.Floor(row - 0.5) + 1);
        double t = (row - _rowKnots[k]) / (_rowKnots[k + 1] - _rowKnots[k]);
        return _latKnots[k] + t * (_latKnots[k + 1] - _latKnots[k]);
    }

    /// <summary>Row coordinate of a latitude (inverse of <see cref="RowToLatitude"/>; latitudes decrease with the row).</summary>
    internal double LatitudeToRow(double latitude)
    {
        if (double.IsNaN(latitude))
        {
            return double.NaN;
        }

        int last = _latKnots.Length - 1;
        if (latitude >= _latKnots[0])
        {
            return _rowKnots[0];
        }

        if (latitude <= _latKnots[last])
        {
            return _rowKnots[last];
        }

        int low = 0;
        int high = last;
        while (high - low > 1)
        {
            int middle = (low + high) / 2;
            if (_latKnots[middle] >= latitude)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        double span = _latKnots[low] - _latKnots[high];
        double t = span == 0 ? 0 : (_latKnots[low] - latitude) / span;
        return _rowKnots[low] + t * (_rowKnots[high] - _rowKnots[low]);
    }

    public void PixelToGeo(Span<double> x, Span<double> y)
    {
        double lastRow = double.NaN;
        double lastLatitude = double.NaN;
        for (int i = 0; i < x.Length; i++)
        {
            if (y[i] != lastRow)
            {
                lastRow = y[i];
                lastLatitude = RowToLatitude(lastRow);
            }

            x[i] = _lonWest + x[i] * _lonStep;
            y[i] = lastLatitude;
        }

        if (_rotation is not null)
        {
            Rotate(x, y, _rotation, transpose: false);
        }
    }

    public void GeoToPixel(Span<double> x, Span<double> y)
    {
        if (_rotation is not null)
        {
            Rotate(x, y, _rotation, transpose: true);
        }

        // Longitudes are not wrapped: GDAL also maps source pixels into the destination to find its source window,
        // and a source repeated every 360° must only match where the grid's own longitude range lies.
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (x[i] - _lonWest) / _lonStep;
            y[i] = LatitudeToRow(y[i]);
        }
    }

    /// <summary>Rotates (lon, lat) pairs in degrees by a 3×3 matrix (or its transpose, the inverse rotation).</summary>
    internal static void Rotate(Span<double> lon, Span<double> lat, double[] m, bool transpose)
    {
        for (int i = 0; i < lon.Length; i++)
        {
            if (!double.IsFinite(lon[i]) || !double.IsFinite(lat[i]))
            {
                lon[i] = double.NaN;
                lat[i] = double.NaN;
                continue;
            }

            double phi = lat[i] * DegreesToRadians;
            double lambda = lon[i] * DegreesToRadians;
            double cosPhi = Math.Cos(phi);
            double vx = cosPhi * Math.Cos(lambda);
            double vy = cosPhi * Math.Sin(lambda);
            double vz = Math.Sin(phi);
            double rx, ry, rz;
            if (transpose)
            {
                rx = m[0] * vx + m[3] * vy + m[6] * vz;
                ry = m[1] * vx + m[4] * vy + m[7] * vz;
                rz = m[2] * vx + m[5] * vy + m[8] * vz;
            }
            else
            {
                rx = m[0] * vx + m[1] * vy + m[2] * vz;
                ry = m[3] * vx + m[4] * vy + m[5] * vz;
                rz = m[6] * vx + m[7] * vy + m[8] * vz;
            }

            lat[i] = Math.Asin(Math.Clamp(rz, -1.0, 1.0)) / DegreesToRadians;
            lon[i] = Math.Atan2(ry, rx) / DegreesToRadians;
        }
    }
}

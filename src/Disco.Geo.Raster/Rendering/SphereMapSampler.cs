using Disco.Geo.Grids;

namespace Disco.Geo.Raster.Rendering;

/// <summary>
/// Values of a sphere-grid map at arbitrary (lat, lon): bilinear between the four surrounding nodes for continuous
/// bands (invalid nodes drop out and the rest are renormalised; invalid when less than half the weight is valid), the
/// nearest node for class bands. Longitudes wrap; latitudes beyond the first or last row take that row.
/// </summary>
internal sealed class SphereMapSampler
{
    private readonly SphereRaster _raster;
    private readonly SphereGrid _grid;
    private readonly double[] _latitudes;
    private readonly int _bandOffset;
    private readonly bool _categorical;

    internal SphereMapSampler(SphereRaster raster, int band, bool categorical)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(band);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(band, raster.BandCount);
        _raster = raster;
        _grid = raster.Grid;
        _latitudes = Enumerable.Range(0, _grid.NLat).Select(_grid.LatitudeDegrees).ToArray();
        _bandOffset = band * (int)_grid.NodeCount;
        _categorical = categorical;
    }

    /// <summary>The rows around a latitude and the weight of the southern one.</summary>
    internal (int North, int South, double T) Rows(double latitude)
    {
        if (latitude >= _latitudes[0])
        {
            return (0, 0, 0);
        }

        int last = _latitudes.Length - 1;
        if (latitude <= _latitudes[last])
        {
            return (last, last, 0);
        }

        int low = 0;
        int high = last;
        while (high - low > 1)
        {
            int middle = (low + high) / 2;
            if (_latitudes[middle] >= latitude)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        return (low, high, (_latitudes[low] - latitude) / (_latitudes[low] - _latitudes[high]));
    }

    /// <summary>The columns around a longitude and the weight of the eastern one.</summary>
    internal (int West, int East, double S) Columns(double longitude)
    {
        double u = (longitude - _grid.LonOriginDegrees) / _grid.LonStepDegrees;
        u -= _grid.NLon * Math.Floor(u / _grid.NLon);
        int west = (int)Math.Floor(u);
        double s = u - west;
        west %= _grid.NLon;
        return (west, (west + 1) % _grid.NLon, s);
    }

    /// <summary>The value at a longitude on precomputed rows, or NaN where the map is invalid.</summary>
    internal double Sample((int North, int South, double T) rows, double longitude) => Sample(rows, Columns(longitude));

    /// <summary>The value on precomputed rows and columns (renderers reuse both across a tile).</summary>
    // Hot loop: compiled optimised at once; tiering would run the first calls unoptimised on a busy machine.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal double Sample((int North, int South, double T) rows, (int West, int East, double S) columns)
    {
        (int west, int east, double s) = columns;
        if (_categorical)
        {
            int row = rows.T <= 0.5 ? rows.North : rows.South;
            int column = s <= 0.5 ? west : east;
            return Node(row, column);
        }

        double sum = 0;
        double weight = 0;
        Accumulate(rows.North, west, (1 - rows.T) * (1 - s), ref sum, ref weight);
        Accumulate(rows.North, east, (1 - rows.T) * s, ref sum, ref weight);
        Accumulate(rows.South, west, rows.T * (1 - s), ref sum, ref weight);
        Accumulate(rows.South, east, rows.T * s, ref sum, ref weight);
        return weight >= 0.5 ? sum / weight : double.NaN;
    }

    internal double Sample(double latitude, double longitude) => Sample(Rows(latitude), longitude);

    private double Node(int row, int column)
    {
        int node = row * _grid.NLon + column;
        return _raster.Valid[node] ? _raster.Data[_bandOffset + node] : double.NaN;
    }

    private void Accumulate(int row, int column, double w, ref double sum, ref double weight)
    {
        if (w <= 0)
        {
            return;
        }

        int node = row * _grid.NLon + column;
        if (_raster.Valid[node])
        {
            sum += w * _raster.Data[_bandOffset + node];
            weight += w;
        }
    }
}

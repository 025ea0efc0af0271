using Disco.Geo.Grids;

namespace Disco.Geo.Raster;

/// <summary>
/// Values on the nodes of a <see cref="SphereGrid"/>: float data laid out [band, row, column] (rows north → south,
/// columns east from <see cref="SphereGrid.LonOriginDegrees"/>), one validity flag per node, band descriptions and
/// provenance. This is both what ingest produces and what the GIS writers, statistics and renderers consume (e.g. a
/// model's prediction map). A node is valid when every band has data there; invalid nodes hold 0 in every band, so the
/// data can go into a tensor without NaN. The arrays are shared, not copied: treat them as read-only once built.
/// </summary>
public sealed class SphereRaster
{
    /// <summary>Creates a raster from data already on the grid.</summary>
    /// <param name="grid">The grid.</param>
    /// <param name="data">Values, length bands × NLat × NLon, laid out [band, row, column].</param>
    /// <param name="bands">One description per band.</param>
    /// <param name="valid">Validity per node (NLat × NLon); null means every node is valid.</param>
    /// <param name="provenance">Where the data came from, if known.</param>
    /// <exception cref="ArgumentException">The lengths do not match the grid and band count.</exception>
    public SphereRaster(SphereGrid grid, float[] data, IReadOnlyList<RasterBandInfo> bands, bool[]? valid = null, RasterProvenance? provenance = null)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(bands);
        if (bands.Count == 0)
        {
            throw new ArgumentException("A sphere raster needs at least one band.", nameof(bands));
        }

        long expected = bands.Count * grid.NodeCount;
        if (data.LongLength != expected)
        {
            throw new ArgumentException(
                $"Data holds {data.LongLength} values but {bands.Count} band(s) on {grid} need {expected}.", nameof(data));
        }

        if (valid is not null && valid.LongLength != grid.NodeCount)
        {
            throw new ArgumentException($"The validity mask holds {valid.LongLength} flags but {grid} has {grid.NodeCount} nodes.", nameof(valid));
        }

        Grid = grid;
        Data = data;
        Bands = bands;
        Valid = valid ?? Enumerable.Repeat(true, (int)grid.NodeCount).ToArray();
        Provenance = provenance;
    }

    /// <summary>The grid the values sit on.</summary>
    public SphereGrid Grid { get; }

    /// <summary>Values laid out [band, row, column].</summary>
    public float[] Data { get; }

    /// <summary>Validity per node, laid out [row, column].</summary>
    public bool[] Valid { get; }

    /// <summary>Band descriptions, in data order.</summary>
    public IReadOnlyList<RasterBandInfo> Bands { get; }

    /// <summary>Number of bands.</summary>
    public int BandCount => Bands.Count;

    /// <summary>Band names, in data order.</summary>
    public IReadOnlyList<string> BandNames => Bands.Select(b => b.Name).ToArray();

    /// <summary>Source, CRS, bounds, resampling and grid, when known.</summary>
    public RasterProvenance? Provenance { get; }

    /// <summary>Number of valid nodes.</summary>
    public int ValidCount => Valid.Count(v => v);

    /// <summary>The value of band <paramref name="band"/> at row <paramref name="row"/>, column <paramref name="column"/>.</summary>
    public float this[int band, int row, int column] => Data[((long)band * Grid.NLat + row) * Grid.NLon + column];

    /// <summary>One band's values laid out [row, column].</summary>
    public ReadOnlySpan<float> Band(int band)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(band);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(band, BandCount);
        int size = (int)Grid.NodeCount;
        return new ReadOnlySpan<float>(Data, band * size, size);
    }

    /// <summary>Index of the band with that name (ordinal, case-insensitive), or −1.</summary>
    public int IndexOf(string name) =>
        Bands.Select((b, i) => (b, i)).FirstOrDefault(x => string.Equals(x.b.Name, name, StringComparison.OrdinalIgnoreCase), (null!, -1)).Item2;

    /// <summary>A raster with only the bands of one role (same grid, mask and provenance), or null when there are none.</summary>
    public SphereRaster? SelectRole(BandRole role)
    {
        int[] indices = Bands.Select((b, i) => (b, i)).Where(x => x.b.Role == role).Select(x => x.i).ToArray();
        return indices.Length == 0 ? null : SelectBands(indices);
    }

    /// <summary>A raster with the given bands (0-based, in that order).</summary>
    public SphereRaster SelectBands(params int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int size = (int)Grid.NodeCount;
        float[] data = new float[indices.Length * size];
        RasterBandInfo[] bands = new RasterBandInfo[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            Band(indices[k]).CopyTo(data.AsSpan(k * size, size));
            bands[k] = Bands[indices[k]];
        }

        return new SphereRaster(Grid, data, bands, Valid, Provenance);
    }
}

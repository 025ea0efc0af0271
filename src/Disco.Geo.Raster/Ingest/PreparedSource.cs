using System.Globalization;
using Disco.Geo.Gdal;
using Disco.Geo.Gdal.Utilities;
using Disco.Geo.Grids;
using Disco.Geo.Raster.Wrapping;

namespace Disco.Geo.Raster.Ingest;

/// <summary>
/// A source made ready for warping onto a sphere grid, as a chain of in-memory VRTs over the opened file: tiles
/// mosaicked, georeferencing assigned or repaired, and for geographic sources copies shifted by ±360° so that a 0..360
/// raster, a raster crossing the antimeridian or a grid whose columns start anywhere all read seamlessly. VRTs refer to
/// their sources by pointer, so every dataset of the chain stays open until this object is disposed (newest first).
/// </summary>
internal sealed class PreparedSource : IDisposable
{
    private const double FullCircle = 360.0;
    private readonly List<GdalDataset> _chain = [];
    private readonly List<string> _notes = [];
    private readonly List<LongitudeCopies> _copies = [];

    private PreparedSource(GdalDataset original, IReadOnlyList<string> sources)
    {
        _chain.Add(original);
        Original = original;
        Sources = sources;
    }

    /// <summary>The dataset as opened (for band descriptions, colour interpretation, driver).</summary>
    internal GdalDataset Original { get; }

    /// <summary>The dataset to warp from (the end of the chain).</summary>
    internal GdalDataset Dataset => _chain[^1];

    internal IReadOnlyList<string> Sources { get; }

    internal IReadOnlyList<string> Notes => _notes;

    /// <summary>
    /// A band of <see cref="Dataset"/> that is 0 where no source pixel exists (gaps between tiles or between the
    /// wrapped copies of a regional raster), or 0 when every pixel of the mosaic has a source.
    /// </summary>
    internal int CoverageBand { get; private set; }

    /// <summary>Georeferencing after assignment and repair, before wrapping.</summary>
    internal GeoTransform GeoTransform { get; private set; }

    internal SpatialReference Crs { get; private set; } = null!;

    internal string DriverName { get; private set; } = string.Empty;

    internal int Width => Original.Width;

    internal int Height => Original.Height;

    internal bool IsGeographic => Crs.IsGeographic;

    /// <summary>Outer bounds in the source CRS (axis-aligned transforms only).</summary>
    internal GeoBounds Bounds
    {
        get
        {
            (double x0, double y0) = GeoTransform.PixelToGeo(0, 0);
            (double x1, double y1) = GeoTransform.PixelToGeo(Width, Height);
            return new GeoBounds(Math.Min(x0, x1), Math.Min(y0, y1), Math.Max(x0, x1), Math.Max(y0, y1));
        }
    }

    /// <summary>Opens a file or a tile set and applies the source's georeferencing instructions.</summary>
    internal static PreparedSource Open(RasterSource source, RasterLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Paths is null || source.Paths.Count == 0)
        {
            throw new ArgumentException("The raster source names no file; give one path or a list of tiles.", nameof(source));
        }

        if (source.Paths.Count > limits.MaxTiles)
        {
            throw new ArgumentException(
                $"The source lists {source.Paths.Count} tiles, more than the limit of {limits.MaxTiles}; build a VRT first{RasterLimits.RaiseAdvice(limits.MaxTilesSetting)}.",
                nameof(source));
        }

        GdalDataset opened;
        if (source.Paths.Count == 1)
        {
            opened = SandboxedOpen.Open(source.Paths[0], GdalOpenKind.Raster, source.Sandbox);
        }
        else
        {
            foreach (string tile in source.Paths)
            {
                if (!tile.StartsWith("/vsi", StringComparison.Ordinal) && !tile.Contains(':', StringComparison.Ordinal) && !File.Exists(tile))
                {
                    throw new FileNotFoundException($"The tile '{tile}' does not exist.", tile);
                }
            }

            if (source.Sandbox is { } sandbox)
            {
                // gdalbuildvrt opens the tiles again by name: check each one first, then the mosaic's own file list.
                foreach (string tile in source.Paths)
                {
                    using GdalDataset checkedTile = sandbox.Open(tile, GdalOpenKind.Raster);
                }

                using IDisposable narrowed = sandbox.Enter();
                opened = GdalUtilities.BuildVrt(string.Empty, source.Paths, ["-addalpha"], cancellationToken);
                try
                {
                    sandbox.Check(opened, source.Paths[0]);
                }
                catch
                {
                    opened.Dispose();
                    throw;
                }
            }
            else
            {
                // Gaps between tiles would read as 0; the alpha band marks them.
                opened = GdalUtilities.BuildVrt(string.Empty, source.Paths, ["-addalpha"], cancellationToken);
            }
        }

        return FromDataset(opened, source.Paths, source.AssignCrs, source.AssignBounds, limits, cancellationToken);
    }

    /// <summary>Takes ownership of an opened dataset (e.g. a decoded panorama in a MEM dataset).</summary>
    internal static PreparedSource FromDataset(GdalDataset opened, IReadOnlyList<string> sources, string? assignCrs, GeoBounds? assignBounds,
        RasterLimits limits, CancellationToken cancellationToken)
    {
        PreparedSource prepared = new(opened, sources);
        try
        {
            prepared.CheckSize(limits);
            prepared.Georeference(assignCrs, assignBounds, cancellationToken);
            return prepared;
        }
        catch
        {
            prepared.Dispose();
            throw;
        }
    }

    /// <summary>
    /// For geographic sources: adds copies shifted by multiples of 360° wherever the grid's longitude range (plus a
    /// margin for the kernels) reaches beyond the source, so warping never meets a seam.
    /// </summary>
    internal void WrapLongitudes(SphereGrid grid, CancellationToken cancellationToken)
    {
        if (!IsGeographic || !GeoTransform.IsAxisAligned || Math.Abs(Crs.AngularUnitRadians - Math.PI / 180) > 1e-9)
        {
            return;
        }

        GeoBounds bounds = Bounds;
        double pixel = Math.Abs(GeoTransform.PixelWidth);
        double margin = 4 * Math.Max(pixel, grid.LonStepDegrees);
        double targetWest = grid.LonOriginDegrees - grid.LonStepDegrees / 2 - margin;
        double targetEast = grid.LonOriginDegrees + FullCircle - grid.LonStepDegrees / 2 + margin;
        LongitudeCopies copies = LongitudeCopies.Create(Dataset, bounds, pixel, targetWest, targetEast, cancellationToken);
        _copies.Add(copies);
        if (copies.Mosaic is null)
        {
            return;
        }

        _chain.Add(copies.Mosaic);
        CoverageBand = copies.CoverageBand;
        _notes.Add(copies.Describe());
    }

    public void Dispose()
    {
        // The copies' datasets are part of the chain; they are closed by the copies (newest first) before the rest.
        foreach (LongitudeCopies copies in _copies)
        {
            _chain.Remove(copies.Mosaic!);
            copies.Dispose();
        }

        for (int i = _chain.Count - 1; i >= 0; i--)
        {
            _chain[i].Dispose();
        }

        _chain.Clear();
        Crs?.Dispose();
    }

    private void CheckSize(RasterLimits limits)
    {
        GdalDataset dataset = Original;
        long pixels = (long)dataset.Width * dataset.Height;
        if (dataset.BandCount == 0 || pixels == 0)
        {
            IReadOnlyList<string> subdatasets = dataset.GetMetadata("SUBDATASETS")
                .Where(item => item.Contains("_NAME=", StringComparison.Ordinal))
                .Select(item => item[(item.IndexOf('=', StringComparison.Ordinal) + 1)..])
                .ToArray();
            string hint = subdatasets.Count > 0
                ? $" It holds {subdatasets.Count} variables; ingest one of them, e.g. {subdatasets[0]}."
                : string.Empty;
            throw new InvalidDataException($"'{dataset.Path}' has no raster bands ({dataset.Width}x{dataset.Height}, {dataset.BandCount} bands).{hint}");
        }

        if (pixels > limits.MaxSourcePixels)
        {
            throw new InvalidDataException(
                $"'{dataset.Path}' is {dataset.Width}x{dataset.Height} = {pixels:N0} pixels, more than the limit of {limits.MaxSourcePixels:N0}. " +
                $"Cut it into tiles or use an overview{RasterLimits.RaiseAdvice(limits.MaxSourcePixelsSetting, " if the file is genuine")}.");
        }
    }

    private void Georeference(string? assignCrs, GeoBounds? assignBounds, CancellationToken cancellationToken)
    {
        GdalDataset dataset = Original;
        DriverName = dataset.DriverName;
        GeoTransform? transform = dataset.GetGeoTransform();
        SpatialReference? crs = dataset.GetSpatialReference();
        bool assign = false;
        if (assignBounds is { } bounds)
        {
            bounds.Validate(nameof(assignBounds));
            transform = GeoTransform.NorthUp(bounds.West, bounds.North, bounds.Width / dataset.Width, bounds.Height / dataset.Height);
            assign = true;
            _notes.Add($"bounds assigned: {bounds}");
        }

        if (assignCrs is not null)
        {
            crs?.Dispose();
            crs = SpatialReference.FromUserInput(assignCrs);
            assign = true;
            _notes.Add($"CRS assigned: {assignCrs}");
        }

        if (transform is null)
        {
            crs?.Dispose();
            throw new InvalidDataException(
                $"'{dataset.Path}' has no georeferencing (no geotransform). If it is a global plate carrée image, ingest it with " +
                "RasterSource.GlobalImage (EPSG:4326, -180..180 x -90..90); otherwise assign its bounds and CRS.");
        }

        if (crs is null)
        {
            (double x0, double y0) = transform.Value.PixelToGeo(0, 0);
            (double x1, double y1) = transform.Value.PixelToGeo(dataset.Width, dataset.Height);
            bool looksGeographic = Math.Min(x0, x1) >= -360.5 && Math.Max(x0, x1) <= 720.5 && Math.Min(y0, y1) >= -91 && Math.Max(y0, y1) <= 91;
            if (!looksGeographic)
            {
                throw new InvalidDataException(
                    $"'{dataset.Path}' has a geotransform but no CRS, and its bounds ({Math.Min(x0, x1)}..{Math.Max(x0, x1)}, " +
                    $"{Math.Min(y0, y1)}..{Math.Max(y0, y1)}) are not degrees. Assign its CRS (RasterSource.AssignCrs).");
            }

            crs = SpatialReference.Wgs84();
            assign = true;
            _notes.Add("no CRS in the file; bounds are in degrees, so EPSG:4326 was assumed");
        }

        // Global geographic rasters often store the pixel size as float32 (ETOPO5: 0.0833341 instead of 1/12); columns
        // that should span exactly 360° then drift by a fraction of a pixel, which would misplace the wrapped copies.
        GeoTransform value = transform.Value;
        if (crs.IsGeographic && value.IsAxisAligned && Math.Abs(crs.AngularUnitRadians - Math.PI / 180) < 1e-9)
        {
            double span = Math.Abs(value.PixelWidth) * dataset.Width;
            double error = Math.Abs(span - FullCircle);
            if (error > 1e-9 && error < 0.1 * Math.Abs(value.PixelWidth))
            {
                double exact = FullCircle / dataset.Width * Math.Sign(value.PixelWidth);
                _notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"pixel width {value.PixelWidth:R} corrected to {exact:R} so that {dataset.Width} columns span exactly 360°"));
                value = value with { PixelWidth = exact };
                assign = true;
            }
        }

        GeoTransform = value;
        Crs = crs;
        if (assign)
        {
            if (!value.IsAxisAligned)
            {
                throw new InvalidDataException($"'{dataset.Path}' has a rotated geotransform; assigning a CRS or bounds to it is not supported.");
            }

            GeoBounds outer = Bounds;
            _chain.Add(GdalUtilities.Translate(Dataset, string.Empty,
                ["-of", "VRT", "-a_srs", crs.ToWkt(), "-a_ullr", Format(outer.West), Format(outer.North), Format(outer.East), Format(outer.South)],
                cancellationToken));
        }
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

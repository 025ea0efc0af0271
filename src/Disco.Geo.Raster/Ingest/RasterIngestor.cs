using System.Diagnostics;
using Disco.Geo.Gdal;
using Disco.Geo.Gdal.Warping;
using Disco.Geo.Grids;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Disco.Geo.Raster.Ingest;

/// <summary>
/// Resamples any GDAL-readable raster (GeoTIFF, NetCDF, JPEG/PNG world images, tile sets; any CRS; −180..180 or
/// 0..360) onto the nodes of a <see cref="SphereGrid"/> in EPSG:4326, with GDAL's warp kernels chosen per band. Nodes
/// that no valid source pixel reaches (partial coverage, nodata, NaN, transparent alpha) are marked invalid. Thread-safe:
/// each call opens its own datasets.
/// </summary>
public sealed class RasterIngestor
{
    private readonly ILogger _logger;

    /// <summary>Creates an ingestor that logs to <paramref name="logger"/> (optional).</summary>
    public RasterIngestor(ILogger<RasterIngestor>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Ingests <paramref name="source"/> onto <paramref name="grid"/> on a thread-pool thread.</summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">The source is empty, too large, has no bands or no usable georeferencing.</exception>
    /// <exception cref="ArgumentException">A band selection is out of range.</exception>
    /// <exception cref="GdalException">GDAL cannot read the file (corrupt, truncated, unsupported); GDAL's message is included.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public Task<SphereRaster> IngestAsync(RasterSource source, SphereGrid grid, RasterIngestOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(grid);
        return Task.Run(() => Ingest(source, grid, options ?? new RasterIngestOptions(), cancellationToken), cancellationToken);
    }

    /// <summary>Synchronous form of <see cref="IngestAsync"/>; GDAL work runs on the calling thread.</summary>
    public SphereRaster Ingest(RasterSource source, SphereGrid grid, RasterIngestOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        GdalRuntime.EnsureInitialized();
        Stopwatch clock = Stopwatch.StartNew();
        using PreparedSource prepared = PreparedSource.Open(source, options.Limits, cancellationToken);
        return ResampleAndLog(source, prepared, grid, options, clock, selectionsChecked: false, cancellationToken);
    }

    /// <summary>
    /// Reads a source whose dataset the multi-source inspection opened (ownership passes here) and whose band
    /// selections it validated against that very dataset, so neither the open nor the checks are repeated.
    /// </summary>
    internal SphereRaster IngestOpened(GdalDataset opened, RasterSource source, SphereGrid grid, RasterIngestOptions options, CancellationToken cancellationToken)
    {
        Stopwatch clock = Stopwatch.StartNew();
        using PreparedSource prepared = PreparedSource.FromDataset(opened, source.Paths, source.AssignCrs, source.AssignBounds, options.Limits, cancellationToken);
        return ResampleAndLog(source, prepared, grid, options, clock, selectionsChecked: true, cancellationToken);
    }

    private SphereRaster ResampleAndLog(RasterSource source, PreparedSource prepared, SphereGrid grid, RasterIngestOptions options, Stopwatch clock,
        bool selectionsChecked, CancellationToken cancellationToken)
    {
        SphereRaster result = Resample(prepared, grid, options, rotation: null, extraNotes: [], cancellationToken, selectionsChecked);
        _logger.LogInformation("Ingested {Source} ({Width}x{Height}, {Crs}) onto {Grid} in {Milliseconds} ms: {Bands}",
            string.Join(", ", source.Paths), prepared.Width, prepared.Height, result.Provenance?.SourceCrs, grid,
            clock.ElapsedMilliseconds, string.Join(", ", result.Provenance?.Resampling.Select(p => $"{p.Key}={p.Value}") ?? []));
        return result;
    }

    /// <summary>The warp itself, shared with panorama ingest (which adds a rotation and its own source).</summary>
    internal static SphereRaster Resample(PreparedSource prepared, SphereGrid grid, RasterIngestOptions options, double[]? rotation,
        IReadOnlyList<string> extraNotes, CancellationToken cancellationToken, bool selectionsChecked = false)
    {
        IReadOnlyList<PlannedBand> plan = PlanBands(prepared.Original, options, DefaultInputResampling(prepared, grid), selectionsChecked);
        int dataBands = plan.Count(b => b.Role != BandRole.Mask);
        long resultBytes = (long)plan.Count * grid.NodeCount * sizeof(float);
        if (resultBytes > options.Limits.MaxResultBytes || (long)dataBands * grid.NodeCount > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"{plan.Count} band(s) on {grid} need {resultBytes:N0} bytes, more than the limit of {options.Limits.MaxResultBytes:N0}; " +
                $"use a coarser grid or fewer bands{RasterLimits.RaiseAdvice(options.Limits.MaxResultBytesSetting)}.");
        }

        prepared.WrapLongitudes(grid, cancellationToken);
        int alphaBand = prepared.CoverageBand > 0 ? prepared.CoverageBand : FindAlphaBand(prepared.Original, plan);
        int nodes = (int)grid.NodeCount;
        float[] warped = new float[plan.Count * nodes];
        List<string> notes = [.. extraNotes];
        using (GdalDataset destination = GdalDataset.CreateInMemory(grid.NLon, grid.NLat, plan.Count, GdalDataType.Float32))
        using (SpatialReference wgs84 = SpatialReference.Wgs84())
        {
            SphereGridPixelMapping mapping = new(grid, rotation);
            Dictionary<string, string> warpOptions = WarpOptions(prepared, grid);
            int[] straddling = rotation is null && !prepared.IsGeographic ? StraddlingColumns(prepared, grid, wgs84) : [];
            var groups = plan.Select((b, i) => (b, i)).GroupBy(x => x.b.Resampling).ToList();
            for (int groupIndex = 0; groupIndex < groups.Count; groupIndex++)
            {
                IGrouping<Resampling, (PlannedBand Band, int Slot)> group = groups[groupIndex];
                cancellationToken.ThrowIfCancellationRequested();
                WarpRequest request = new()
                {
                    SourceBands = group.Select(x => x.Band.SourceBand).ToArray(),
                    DestinationBands = group.Select(x => x.Slot + 1).ToArray(),
                    Resampling = group.Key.ToGdal(),
                    DestinationCrs = wgs84,
                    DestinationMapping = mapping,
                    SourceNoData = group.Select(x => x.Band.NoData).ToArray(),
                    SourceAlphaBand = alphaBand,
                    WarpOptions = warpOptions,
                };
                // One warp per kernel: each gets an equal share of the reported progress.
                IProgress<double>? share = options.Progress is { } total ? new ShareOfProgress(total, groupIndex, groups.Count) : null;
                GdalWarper.Warp(prepared.Dataset, destination, request, cancellationToken, share);
                if (straddling.Length > 0 && group.Key is Resampling.Average or Resampling.Mode)
                {
                    // A cell that contains the source's edge meridian has corners on both edges of the map, and GDAL's
                    // area kernels would then average a whole row of the source; those columns are sampled at the
                    // node instead.
                    Resampling pointKernel = group.Key == Resampling.Mode ? Resampling.Nearest : Resampling.Bilinear;
                    foreach (int column in straddling)
                    {
                        GdalWarper.Warp(prepared.Dataset, destination, request with
                        {
                            Resampling = pointKernel.ToGdal(),
                            DestinationWindow = (column, 0, 1, grid.NLat),
                        }, cancellationToken);
                    }

                    notes.Add($"{straddling.Length} column(s) on the source's edge meridian resampled with {pointKernel.ToName()} instead of {group.Key.ToName()}");
                }
            }

            for (int slot = 0; slot < plan.Count; slot++)
            {
                destination.GetBand(slot + 1).Read<float>(warped.AsSpan(slot * nodes, nodes), 0, 0, grid.NLon, grid.NLat);
            }
        }

        return Assemble(prepared, grid, options, plan, warped, notes);
    }

    private static SphereRaster Assemble(PreparedSource prepared, SphereGrid grid, RasterIngestOptions options, IReadOnlyList<PlannedBand> plan,
        float[] warped, IReadOnlyList<string> extraNotes)
    {
        int nodes = (int)grid.NodeCount;
        bool[] valid = new bool[nodes];
        Array.Fill(valid, true);
        for (int slot = 0; slot < plan.Count; slot++)
        {
            Span<float> values = warped.AsSpan(slot * nodes, nodes);
            PlannedBand band = plan[slot];
            bool scaled = options.ApplyScaleOffset && (band.Scale != 1.0 || band.Offset != 0.0);
            for (int k = 0; k < nodes; k++)
            {
                float value = values[k];
                if (float.IsNaN(value) || (band.Role == BandRole.Mask && value <= 0.5f))
                {
                    valid[k] = false;
                }
                else if (scaled)
                {
                    values[k] = (float)(value * band.Scale + band.Offset);
                }
            }
        }

        List<RasterBandInfo> infos = [];
        List<int> dataSlots = [];
        for (int slot = 0; slot < plan.Count; slot++)
        {
            if (plan[slot].Role != BandRole.Mask)
            {
                dataSlots.Add(slot);
                infos.Add(new RasterBandInfo(plan[slot].Name, plan[slot].Role, plan[slot].Resampling, plan[slot].SourceBand, plan[slot].Unit));
            }
        }

        if (dataSlots.Count == 0)
        {
            throw new ArgumentException("Every selected band has the Mask role; select at least one Input or Label band.", nameof(options));
        }

        float[] data = new float[dataSlots.Count * nodes];
        for (int k = 0; k < dataSlots.Count; k++)
        {
            warped.AsSpan(dataSlots[k] * nodes, nodes).CopyTo(data.AsSpan(k * nodes, nodes));
        }

        if (options.UnifyPoleRows && grid.HasPoleRows)
        {
            PoleRows.Unify(grid, data, infos, valid);
        }

        for (int k = 0; k < nodes; k++)
        {
            if (!valid[k])
            {
                for (int b = 0; b < dataSlots.Count; b++)
                {
                    data[b * nodes + k] = 0f;
                }
            }
        }

        return new SphereRaster(grid, data, infos, valid, BuildProvenance(prepared, grid, plan, extraNotes));
    }

    private static RasterProvenance BuildProvenance(PreparedSource prepared, SphereGrid grid, IReadOnlyList<PlannedBand> plan, IReadOnlyList<string> extraNotes)
    {
        GeoTransform transform = prepared.GeoTransform;
        return new RasterProvenance
        {
            Sources = prepared.Sources,
            Driver = prepared.DriverName,
            SourceCrs = prepared.Crs.ToString(),
            SourceCrsWkt = prepared.Crs.ToWkt(),
            SourceBounds = transform.IsAxisAligned ? prepared.Bounds : null,
            SourceSize = (prepared.Width, prepared.Height),
            SourceGeoTransform = [transform.OriginX, transform.PixelWidth, transform.RowRotation, transform.OriginY, transform.ColumnRotation, transform.PixelHeight],
            Grid = grid.ToString(),
            Resampling = plan.ToDictionary(b => b.Name, b => b.Resampling.ToName()),
            Notes = [.. prepared.Notes, .. extraNotes],
        };
    }

    /// <summary>
    /// Warp options for one ingest. XSCALE/YSCALE fix the kernel widening of bilinear and cubic to the ratio of source
    /// pixel to grid cell for the whole grid; GDAL would otherwise derive it per chunk from the chunk's source window,
    /// which depends on memory limits and explodes for windows spanning the source's edges.
    /// </summary>
    private static Dictionary<string, string> WarpOptions(PreparedSource prepared, SphereGrid grid)
    {
        (double pixelX, double pixelY) = SourcePixelDegrees(prepared);
        double xScale = pixelX / grid.LonStepDegrees;
        double yScale = pixelY / (180.0 / grid.NLat);
        return new Dictionary<string, string>
        {
            ["SAMPLE_GRID"] = "YES",
            ["SOURCE_EXTRA"] = "2",
            ["XSCALE"] = xScale.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            ["YSCALE"] = yScale.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static (double X, double Y) SourcePixelDegrees(PreparedSource prepared)
    {
        GeoTransform transform = prepared.GeoTransform;
        double x = Math.Sqrt(transform.PixelWidth * transform.PixelWidth + transform.ColumnRotation * transform.ColumnRotation);
        double y = Math.Sqrt(transform.PixelHeight * transform.PixelHeight + transform.RowRotation * transform.RowRotation);
        return prepared.IsGeographic ? (x, y) : (x / MetresPerDegree, y / MetresPerDegree);
    }

    /// <summary>
    /// Grid columns whose cell contains the edge meridian of a projected source (where the map is cut, e.g. 180° for
    /// Equal Earth centred on Greenwich): their west edge lands on the east side of the map and vice versa.
    /// </summary>
    private static int[] StraddlingColumns(PreparedSource prepared, SphereGrid grid, SpatialReference wgs84)
    {
        using CoordinateTransformation toSource = CoordinateTransformation.Create(wgs84, prepared.Crs);
        double[] latitudes = [0.0, 45.0, -45.0];
        int count = grid.NLon * latitudes.Length;
        double[] westX = new double[count];
        double[] westY = new double[count];
        double[] eastX = new double[count];
        double[] eastY = new double[count];
        for (int p = 0; p < grid.NLon; p++)
        {
            for (int k = 0; k < latitudes.Length; k++)
            {
                int index = p * latitudes.Length + k;
                westX[index] = grid.LongitudeDegrees(p) - grid.LonStepDegrees / 2;
                eastX[index] = grid.LongitudeDegrees(p) + grid.LonStepDegrees / 2;
                westY[index] = eastY[index] = latitudes[k];
            }
        }

        toSource.Transform(westX, westY);
        toSource.Transform(eastX, eastY);
        HashSet<int> columns = [];
        for (int index = 0; index < count; index++)
        {
            if (!double.IsFinite(westX[index]) || !double.IsFinite(eastX[index]))
            {
                continue;
            }

            double west = prepared.GeoTransform.GeoToPixel(westX[index], westY[index]).Column;
            double east = prepared.GeoTransform.GeoToPixel(eastX[index], eastY[index]).Column;
            if (east < west)
            {
                columns.Add(index / latitudes.Length);
            }
        }

        return columns.Order().ToArray();
    }

    /// <summary>Average when the source is finer than the grid (downsampling), bilinear when it is as coarse or coarser.</summary>
    private static Resampling DefaultInputResampling(PreparedSource prepared, SphereGrid grid)
    {
        (double pixelX, double pixelY) = SourcePixelDegrees(prepared);
        double pixelDegrees = Math.Sqrt(pixelX * pixelY);
        double cellDegrees = Math.Min(grid.LonStepDegrees, 180.0 / grid.NLat);
        return pixelDegrees < 0.75 * cellDegrees ? Resampling.Average : Resampling.Bilinear;
    }

    private const double MetresPerDegree = 111_320.0;

    private static IReadOnlyList<PlannedBand> PlanBands(GdalDataset dataset, RasterIngestOptions options, Resampling defaultInput, bool selectionsChecked)
    {
        int count = dataset.BandCount;
        IReadOnlyList<BandSelection> selections = options.Bands ?? Enumerable.Range(1, count)
            .Where(b => count == 1 || dataset.GetBand(b).ColorInterpretation != ColorInterpretation.Alpha)
            .Select(b => new BandSelection(b))
            .ToArray();
        if (selections.Count == 0)
        {
            throw new ArgumentException("No bands were selected; select at least one band.", nameof(options));
        }

        HashSet<string> names = new(StringComparer.OrdinalIgnoreCase);
        List<PlannedBand> plan = [];
        foreach (BandSelection selection in selections)
        {
            if (!selectionsChecked && (selection.SourceBand < 1 || selection.SourceBand > count))
            {
                throw new ArgumentException(
                    $"Band {selection.SourceBand} was selected but '{dataset.Path}' has bands 1..{count}.", nameof(options));
            }

            GdalBand band = dataset.GetBand(selection.SourceBand);
            string name = selection.Name ?? DefaultName(band);
            string unique = name;
            for (int suffix = 2; !names.Add(unique); suffix++)
            {
                unique = $"{name}_{suffix}";
            }

            Resampling resampling = selection.Resampling ?? selection.Role switch
            {
                BandRole.Label => options.LabelResampling,
                BandRole.Mask => Resampling.Nearest,
                _ => options.InputResampling ?? defaultInput,
            };
            if (!selectionsChecked && selection.Role == BandRole.Label && resampling is not (Resampling.Nearest or Resampling.Mode))
            {
                throw new ArgumentException(
                    $"Label band '{unique}' would be resampled with {resampling.ToName()}, which invents classes; use Mode or Nearest.", nameof(options));
            }

            string unit = band.Unit;
            plan.Add(new PlannedBand(selection.SourceBand, unique, selection.Role, resampling, band.NoDataValue, band.Scale, band.Offset,
                string.IsNullOrEmpty(unit) ? null : unit));
        }

        return plan;
    }

    private static int FindAlphaBand(GdalDataset dataset, IReadOnlyList<PlannedBand> plan)
    {
        if (dataset.BandCount < 2)
        {
            return 0;
        }

        for (int b = 1; b <= dataset.BandCount; b++)
        {
            if (dataset.GetBand(b).ColorInterpretation == ColorInterpretation.Alpha && plan.All(p => p.SourceBand != b))
            {
                return b;
            }
        }

        return 0;
    }

    private static string DefaultName(GdalBand band)
    {
        string description = band.Description;
        if (!string.IsNullOrWhiteSpace(description))
        {
            return description;
        }

        string? variable = band.GetMetadataItem("NETCDF_VARNAME");
        if (!string.IsNullOrWhiteSpace(variable))
        {
            return variable;
        }

        return band.ColorInterpretation switch
        {
            ColorInterpretation.Red => "red",
            ColorInterpretation.Green => "green",
            ColorInterpretation.Blue => "blue",
            ColorInterpretation.Gray => "gray",
            ColorInterpretation.Alpha => "alpha",
            _ => $"band{band.Index}",
        };
    }

    internal sealed record PlannedBand(int SourceBand, string Name, BandRole Role, Resampling Resampling, double? NoData, double Scale, double Offset, string? Unit);
}

/// <summary>Reports part <c>index</c> of <c>count</c> equal parts of a whole, synchronously.</summary>
internal sealed class ShareOfProgress(IProgress<double> total, int index, int count) : IProgress<double>
{
    public void Report(double value) => total.Report((index + value) / count);
}

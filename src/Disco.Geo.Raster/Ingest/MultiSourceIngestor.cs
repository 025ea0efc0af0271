using System.Diagnostics;
using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Disco.Geo.Raster.Ingest;

/// <summary>
/// Ingests several sources onto one grid. Each source is read onto the grid on its own and the bands are then put
/// together in request order:
/// <list type="bullet">
/// <item>a georeferenced raster (any CRS, −180..180 or 0..360), or several tiles mosaicked, goes through
/// <see cref="RasterIngestor"/> (inputs: average when downsampling, else bilinear; labels: mode; masks: nearest);</item>
/// <item>a raster without georeferencing that is exactly 2:1 (e.g. NASA Blue Marble JPEGs) is taken as a global
/// EPSG:4326 plate carrée, and the provenance says so; an ungeoreferenced image of any shape is placed at the bounds
/// the request gives (<see cref="SourceFiles.Bounds"/>), cells outside them masked as for a regional GeoTIFF; any other
/// ungeoreferenced image is rejected;</item>
/// <item>a vector layer is rasterised as described by <see cref="VectorLayerBands"/>.</item>
/// </list>
/// Bands with the mask role become part of the validity mask (valid where the value exceeds 0.5) instead of data; a
/// node is valid when every source has data there. Scale and offset of a band spec apply after GDAL's own. Unreadable
/// inputs, bad band choices and oversized sources fail with an <see cref="IngestInputException"/> naming the source as
/// the user knows it; a source reaching outside its sandbox with an <see cref="IngestAccessDeniedException"/>.
/// </summary>
public sealed class MultiSourceIngestor
{
    private readonly RasterIngestor _ingestor;
    private readonly PolygonRasterizer _rasterizer = new();
    private readonly ILogger _logger;

    /// <summary>Creates an ingestor that logs through <paramref name="loggers"/> (optional).</summary>
    public MultiSourceIngestor(ILoggerFactory? loggers = null)
    {
        loggers ??= NullLoggerFactory.Instance;
        _ingestor = new RasterIngestor(loggers.CreateLogger<RasterIngestor>());
        _logger = loggers.CreateLogger<MultiSourceIngestor>();
    }

    /// <summary>
    /// Opens every source once, classifies it, fills in the default bands and validates the band specs against the
    /// sources, without reading pixels (a request is checked when it arrives, long before its job runs).
    /// </summary>
    /// <exception cref="IngestInputException">A source or band spec is unusable; the message says how to fix it.</exception>
    /// <exception cref="IngestAccessDeniedException">A source refers to a file outside its sandbox.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async Task<MultiSourcePlan> InspectAsync(MultiSourceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        (MultiSourcePlan plan, GdalDataset?[] opened) = await OpenAsync(request, cancellationToken).ConfigureAwait(false);
        DisposeAll(opened);
        return plan;
    }

    /// <summary>
    /// Reads every source that a band uses onto the grid and assembles the bands. Without a <paramref name="plan"/> the
    /// sources are inspected first and a single-file raster is read from the dataset its inspection opened; with one
    /// (from <see cref="InspectAsync"/>) each source is opened once, to be read.
    /// </summary>
    /// <exception cref="IngestInputException">A source cannot be read onto the grid; the message names it.</exception>
    /// <exception cref="IngestAccessDeniedException">A source refers to a file outside its sandbox.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled (GDAL's aborted warp included).</exception>
    public async Task<AssembledIngest> IngestAsync(MultiSourceRequest request, MultiSourcePlan? plan = null, IProgress<MultiSourceProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        GdalDataset?[] opened = new GdalDataset?[request.Sources.Count];
        try
        {
            if (plan is null)
            {
                (plan, opened) = await OpenAsync(request, cancellationToken).ConfigureAwait(false);
            }

            IReadOnlyList<IngestSource> sources = plan.Sources;
            SourceTimeAxis? time = TimeStacks.AxisOf(sources);
            IReadOnlyList<SourceBandSpec> specs = time is null ? plan.Bands : TimeStacks.Expand(plan, time);
            var read = new SphereRaster?[sources.Count];
            IngestSource[] used = sources.Where(s => specs.Any(b => b.SourceIndex == s.Index)).ToArray();
            for (int step = 0; step < used.Length; step++)
            {
                IngestSource source = used[step];
                List<SourceBandSpec> mine = specs.Where(b => b.SourceIndex == source.Index).ToList();
                int current = step;
                IProgress<double> reading = new SourceProgress(progress, current, used.Length, source);
                reading.Report(0);
                Stopwatch clock = Stopwatch.StartNew();
                GdalDataset? dataset = source.Index < opened.Length ? opened[source.Index] : null;
                if (dataset is not null)
                {
                    opened[source.Index] = null;
                }

                read[source.Index] = await GuardAsync(source.Subject, request.Sources[source.Index],
                    () => ReadAsync(source, dataset, mine, request.Grid, request.Limits, reading, cancellationToken), cancellationToken).ConfigureAwait(false);
                _logger.LogInformation("Ingest source {Index} {Source} ({Kind}, {Bands} band(s)) resampled onto {Grid} in {Milliseconds} ms",
                    source.Index, string.Join(", ", source.Paths), KindName(source.Kind), mine.Count, request.Grid, clock.ElapsedMilliseconds);
            }

            progress?.Report(new MultiSourceProgress(used.Length, used.Length, null, 0, specs.Count));
            AssembledIngest assembled = IngestAssembly.Assemble(request.Grid, specs, sources, read);
            return time is null ? assembled : TimeStacks.Collapse(assembled, time, request.Grid);
        }
        finally
        {
            DisposeAll(opened);
        }
    }

    /// <summary>How provenance and messages name a kind: "raster", "global-image" or "vector".</summary>
    /// <param name="kind">The kind.</param>
    public static string KindName(IngestSourceKind kind) => kind switch
    {
        IngestSourceKind.GlobalImage => "global-image",
        IngestSourceKind.Vector => "vector",
        _ => "raster",
    };

    /// <summary>The role a band plays: as requested, or for unspecified roles input (rasters) or the band's default (vectors).</summary>
    internal static BandRole EffectiveRole(IngestSource source, SourceBandSpec spec) => spec.Role
        ?? (source.Kind == IngestSourceKind.Vector ? VectorLayerBands.DefaultRole(spec.SourceBand) : BandRole.Input);

    /// <summary>The inspection; the datasets of single-file rasters stay open for the caller to read or dispose.</summary>
    private static async Task<(MultiSourcePlan Plan, GdalDataset?[] Opened)> OpenAsync(MultiSourceRequest request, CancellationToken cancellationToken)
    {
        SphereGrid grid = request.Grid;
        var sources = new IngestSource[request.Sources.Count];
        var opened = new GdalDataset?[sources.Length];
        try
        {
            for (int i = 0; i < sources.Length; i++)
            {
                int index = i;
                SourceFiles files = request.Sources[index];
                string label = $"{IngestSource.SubjectOf(index)} '{files.DisplayName ?? Path.GetFileName(files.Paths.FirstOrDefault() ?? "")}'";
                string? field = index < request.SourceFields.Count ? request.SourceFields[index] : null;
                (sources[i], opened[i]) = await GuardAsync(label, files, () => Task.Run(() => IngestSource.Open(index, files), cancellationToken), cancellationToken, field)
                    .ConfigureAwait(false);
                (int width, int height) = sources[i].Size;
                long maxPixels = request.Limits.MaxSourcePixels;
                if (files.Paths.Count == 1 && (long)width * height > maxPixels)
                {
                    // The same bound the read applies (a mosaic's total is only known once its tiles are put together).
                    throw new IngestInputException(
                        $"{label} is {width}x{height} = {(long)width * height:N0} pixels, more than the limit of {maxPixels:N0}. Cut it into tiles or " +
                        $"use an overview{RasterLimits.RaiseAdvice(request.Limits.MaxSourcePixelsSetting, " if the file is genuine")}.", field);
                }
            }

            IReadOnlyList<SourceBandSpec> specs = request.Bands.Count > 0 ? [.. request.Bands] : DefaultSpecs(sources);
            Validate(specs, sources, explicitSelection: request.Bands.Count > 0);
            int steps = TimeStacks.Check(specs, sources)?.Steps.Count ?? 1;
            if ((long)specs.Count * steps * grid.NodeCount > Array.MaxLength)
            {
                throw new IngestInputException($"{specs.Count} band(s) on a {grid.NLat}x{grid.NLon} grid are too many values for one dataset; ingest fewer bands or use a coarser grid.", "bands");
            }

            return (new MultiSourcePlan(specs, sources), opened);
        }
        catch
        {
            DisposeAll(opened);
            throw;
        }
    }

    private static void DisposeAll(GdalDataset?[] datasets)
    {
        for (int i = 0; i < datasets.Length; i++)
        {
            datasets[i]?.Dispose();
            datasets[i] = null;
        }
    }

    private Task<SphereRaster> ReadAsync(IngestSource source, GdalDataset? opened, IReadOnlyList<SourceBandSpec> specs, SphereGrid grid, RasterLimits limits,
        IProgress<double> reading, CancellationToken cancellationToken)
    {
        if (source.Kind == IngestSourceKind.Vector)
        {
            opened?.Dispose();
            string[] names = specs.Select(s => s.Name.Length > 0 ? s.Name : source.BandNames[s.SourceBand - 1]).ToArray();
            BandRole[] roles = specs.Select(s => EffectiveRole(source, s)).ToArray();
            return VectorLayerBands.RasterizeAsync(_rasterizer, source, specs.Select(s => s.SourceBand).ToArray(), names, roles, grid, cancellationToken);
        }

        // Mask bands are read as values (nearest by default) and folded into the validity mask afterwards, the same
        // way for rasters and vector layers, so that a source may serve as a mask alone.
        BandSelection[] selections = specs.Select(s => s.Role == BandRole.Mask
            ? new BandSelection(s.SourceBand, BandRole.Input, NullIfEmpty(s.Name), s.Resampling ?? Resampling.Nearest)
            : new BandSelection(s.SourceBand, s.Role ?? BandRole.Input, NullIfEmpty(s.Name), s.Resampling)).ToArray();
        RasterSource raster = source.Kind == IngestSourceKind.GlobalImage
            ? RasterSource.GlobalImage(source.Subdataset ?? source.Paths[0]) with { AssignBounds = source.AssignedBounds ?? GeoBounds.World }
            : source.Paths.Count == 1 ? RasterSource.File(source.Subdataset ?? source.Paths[0]) : RasterSource.Tiles(source.Paths);
        raster = raster with { Sandbox = source.Sandbox };
        var options = new RasterIngestOptions { Bands = selections, Limits = limits, Progress = reading };
        if (opened is null)
        {
            return _ingestor.IngestAsync(raster, grid, options, cancellationToken);
        }

        // Not cancelled before it starts: the read owns the dataset and must run to dispose it (it honours the token itself).
        return Task.Run(() => _ingestor.IngestOpened(opened, raster, grid, options, cancellationToken), CancellationToken.None);
    }

    /// <summary>No selection: every raster band but alpha as an input; vector layers give fraction (input) and label (label).</summary>
    private static List<SourceBandSpec> DefaultSpecs(IReadOnlyList<IngestSource> sources)
    {
        var specs = new List<SourceBandSpec>();
        foreach (IngestSource source in sources)
        {
            if (source.Kind == IngestSourceKind.Vector)
            {
                specs.Add(new SourceBandSpec { SourceIndex = source.Index, SourceBand = VectorLayerBands.Fraction, Role = BandRole.Input });
                specs.Add(new SourceBandSpec { SourceIndex = source.Index, SourceBand = VectorLayerBands.Label, Role = BandRole.Label });
                continue;
            }

            // A time stack's bands are its steps: the default is every band of one step, repeated for each step.
            for (int band = 1; band <= (source.Time?.BandsPerStep ?? source.BandCount); band++)
            {
                if (!source.AlphaBands.Contains(band))
                {
                    specs.Add(new SourceBandSpec { SourceIndex = source.Index, SourceBand = band, Role = BandRole.Input });
                }
            }
        }

        return specs;
    }

    /// <summary>
    /// The one check of the band specs: the read of a dataset opened by the inspection relies on it and does not check
    /// the selections again.
    /// </summary>
    private static void Validate(IReadOnlyList<SourceBandSpec> specs, IReadOnlyList<IngestSource> sources, bool explicitSelection)
    {
        for (int i = 0; i < specs.Count; i++)
        {
            SourceBandSpec spec = specs[i];
            string field = $"bands[{i}]";
            if (spec.SourceIndex < 0 || spec.SourceIndex >= sources.Count)
            {
                throw new IngestInputException($"{field}.source_index {spec.SourceIndex} names no source; use 0 (the main source) or 1..{sources.Count - 1}.", field + ".source_index");
            }

            IngestSource source = sources[spec.SourceIndex];
            if (spec.SourceBand < 1 || spec.SourceBand > source.BandCount)
            {
                string what = source.Kind == IngestSourceKind.Vector ? "offers the bands" : "has the bands";
                throw new IngestInputException($"{field}.source_band {spec.SourceBand} is out of range: {source.Label} {source.Display} {what} {source.DescribeBands()}.", field + ".source_band");
            }

            if (!double.IsFinite(spec.Scale) || !double.IsFinite(spec.Offset))
            {
                throw new IngestInputException($"{field}: scale and offset must be finite numbers.", field);
            }

            if (source.Kind == IngestSourceKind.Vector)
            {
                VectorLayerBands.Validate(spec, field);
            }
            else if (spec.Role == BandRole.Label && spec.Resampling is not (null or Resampling.Mode or Resampling.Nearest))
            {
                throw new IngestInputException(
                    $"{field}: a label band resampled with {spec.Resampling?.ToString().ToLowerInvariant()} would get class ids that do not exist; use mode or nearest (or leave it unset for mode).",
                    field + ".resampling");
            }

            if (spec.LabelMap.Count > 0 && EffectiveRole(source, spec) != BandRole.Label)
            {
                throw new IngestInputException($"{field}.label_map: only label bands take a value map; give the band the label role or drop the map.", field + ".label_map");
            }
        }

        if (!explicitSelection)
        {
            return;
        }

        foreach (IngestSource source in sources)
        {
            if (!specs.Any(b => b.SourceIndex == source.Index))
            {
                throw new IngestInputException(
                    $"{source.Subject} is not used by any band: add a band with source_index {source.Index} " +
                    $"(CLI: --band {source.Index}.BAND:ROLE) or remove the source.", source.Index == 0 ? "bands" : $"additional_sources[{source.Index - 1}]");
            }
        }
    }

    /// <summary>
    /// Turns the library's exceptions for bad inputs into messages that name the source as the user knows it (an
    /// upload by its file name, never its blob path or hash); a file outside the sandbox is refused; cancellation
    /// stays cancellation.
    /// </summary>
    private static async Task<T> GuardAsync<T>(string label, SourceFiles files, Func<Task<T>> work, CancellationToken cancellationToken, string? field = null)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            // GDAL reports an aborted warp as a failure; what happened is the cancellation.
            throw new OperationCanceledException("The ingest was cancelled.", e, cancellationToken);
        }
        catch (IngestAccessDeniedException)
        {
            throw;
        }
        catch (IngestInputException e)
        {
            throw e.Field is null && field is not null ? new IngestInputException(e.Message, field) : e;
        }
        catch (SourceContainmentException e)
        {
            throw new IngestAccessDeniedException(IngestSandboxes.Describe(label, e));
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or ArgumentException or GdalException or IOException)
        {
            throw new IngestInputException($"{label} cannot be ingested: {WithoutServerPaths(Message(e), files)}", field);
        }
    }

    /// <summary>GDAL names files by the path it opened: show each by its display name (uploads) or file name instead.</summary>
    private static string WithoutServerPaths(string message, SourceFiles files)
    {
        foreach (string path in files.Paths)
        {
            string name = files.DisplayName is { } display && files.Paths.Count == 1 ? display : Path.GetFileName(path);
            message = message.Replace(path, name, StringComparison.Ordinal);
            if (Path.GetDirectoryName(path) is { Length: > 1 } directory)
            {
                message = message.Replace(directory + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);
            }
        }

        return message;
    }

    private static string Message(Exception e) => e is ArgumentException { ParamName: { } name } argument
        ? argument.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal)
        : e.Message;

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    /// <summary>GDAL's warp progress of one source, as the ingest's progress.</summary>
    private sealed class SourceProgress(IProgress<MultiSourceProgress>? target, int step, int steps, IngestSource source) : IProgress<double>
    {
        public void Report(double value) => target?.Report(new MultiSourceProgress(step, steps, source, value));
    }
}

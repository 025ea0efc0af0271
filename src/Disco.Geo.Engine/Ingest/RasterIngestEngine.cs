using System.Diagnostics;
using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster;
using Disco.Geo.Raster.Ingest;
using Microsoft.Extensions.Logging;

namespace Disco.Geo.Engine.Ingest;

/// <summary>
/// <see cref="IIngestEngine"/> on Disco.Geo.Raster. Each source is read onto the grid on its own and the bands are
/// then put together in request order:
/// <list type="bullet">
/// <item>a georeferenced raster (any CRS, −180..180 or 0..360), or several tiles mosaicked, goes through
/// <see cref="RasterIngestor"/> (inputs: average when downsampling, else bilinear; labels: mode; masks: nearest);</item>
/// <item>a raster without georeferencing that is exactly 2:1 (e.g. NASA Blue Marble JPEGs) is taken as a global
/// EPSG:4326 plate carrée, and the provenance says so; any other ungeoreferenced image is rejected;</item>
/// <item>a vector layer is rasterised as described by <see cref="VectorLayerBands"/>.</item>
/// </list>
/// Bands with the mask role become part of the validity mask (valid where the value exceeds 0.5) instead of data; a
/// node is valid when every source has data there. Scale and offset of a band spec apply after GDAL's own. Unreadable
/// inputs, bad band choices and oversized sources fail with an <see cref="EngineInputException"/> naming the source.
/// </summary>
internal sealed class RasterIngestEngine(ILoggerFactory loggers) : IIngestEngine
{
    private readonly RasterIngestor _ingestor = new(loggers.CreateLogger<RasterIngestor>());
    private readonly PolygonRasterizer _rasterizer = new();
    private readonly ILogger _logger = loggers.CreateLogger<RasterIngestEngine>();

    public async Task<IngestOutput> IngestAsync(IngestWork work, IProgress<EngineProgress> progress, CancellationToken cancellationToken)
    {
        Stopwatch clock = Stopwatch.StartNew();
        SphereGrid grid = work.Grid;
        progress.Report(new EngineProgress(0, "opening", $"Opening {work.Sources.Count} source(s)"));

        // The request was inspected when it arrived; a job started after a restart or a resume inspects again.
        IngestInspection inspection = work.Inspection ?? await InspectAsync(work, cancellationToken);
        var sources = (IngestSource[])inspection.Sources;
        IReadOnlyList<IngestBandSpec> specs = inspection.Bands;
        var read = new SphereRaster?[sources.Length];
        IngestSource[] used = sources.Where(s => specs.Any(b => b.SourceIndex == s.Index)).ToArray();
        for (int step = 0; step < used.Length; step++)
        {
            IngestSource source = used[step];
            List<IngestBandSpec> mine = specs.Where(b => b.SourceIndex == source.Index).ToList();
            var reading = new ReadingProgress(progress, step, used.Length, $"Source {step + 1}/{used.Length}: {source.Display} ({KindName(source.Kind)})");
            reading.Report(0);
            Stopwatch sourceClock = Stopwatch.StartNew();
            read[source.Index] = await GuardAsync(source.Subject, work.Sources[source.Index], () => ReadAsync(source, mine, grid, work.MaxRasterPixels, reading, cancellationToken), cancellationToken);
            _logger.LogInformation("Ingest source {Index} {Source} ({Kind}, {Bands} band(s)) resampled onto {Grid} in {Milliseconds} ms",
                source.Index, string.Join(", ", source.Paths), KindName(source.Kind), mine.Count, grid, sourceClock.ElapsedMilliseconds);
        }

        progress.Report(new EngineProgress(0.97, "assembling", $"Assembling {specs.Count} band(s) on {grid}") { Step = used.Length, TotalSteps = used.Length });
        IngestOutput output = IngestAssembly.Assemble(grid, specs, sources, read);
        _logger.LogInformation("Ingest onto {Grid} finished in {Milliseconds} ms: {Bands}; {Valid}",
            grid, clock.ElapsedMilliseconds, string.Join(", ", output.Bands.Select(b => b.Name)), output.Mask is null ? "every node valid" : "with a validity mask");
        progress.Report(new EngineProgress(1, "done", $"{output.Bands.Count} band(s) on {grid}") { Step = used.Length, TotalSteps = used.Length });
        return output;
    }

    public async Task<IngestInspection> InspectAsync(IngestWork work, CancellationToken cancellationToken)
    {
        SphereGrid grid = work.Grid;
        var sources = new IngestSource[work.Sources.Count];
        for (int i = 0; i < sources.Length; i++)
        {
            int index = i;
            IngestSourceFiles files = work.Sources[index];
            string label = $"{IngestSource.SubjectOf(index)} '{files.DisplayName ?? Path.GetFileName(files.Paths.FirstOrDefault() ?? "")}'";
            string? field = index < work.SourceFields.Count ? work.SourceFields[index] : null;
            sources[i] = await GuardAsync(label, files, () => Task.Run(() => IngestSource.Inspect(index, files), cancellationToken), cancellationToken, field);
            (int width, int height) = sources[i].Size;
            if (files.Paths.Count == 1 && (long)width * height > work.MaxRasterPixels)
            {
                // The same bound the read applies (a mosaic's total is only known once its tiles are put together).
                throw new EngineInputException(
                    $"{label} is {width}x{height} = {(long)width * height:N0} pixels, more than the limit of {work.MaxRasterPixels:N0}. Cut it into tiles or " +
                    $"use an overview, or raise {ServerRasterLimits.MaxPixelsSetting} if the file is genuine.", field);
            }
        }

        IReadOnlyList<IngestBandSpec> specs = work.Bands.Count > 0 ? [.. work.Bands] : DefaultSpecs(sources);
        Validate(specs, sources, explicitSelection: work.Bands.Count > 0);
        if ((long)specs.Count * grid.NodeCount > Array.MaxLength)
        {
            throw new EngineInputException($"{specs.Count} band(s) on a {grid.NLat}x{grid.NLon} grid are too many values for one dataset; ingest fewer bands or use a coarser grid.", "bands");
        }

        return new IngestInspection(specs, sources);
    }

    public static string KindName(IngestSourceKind kind) => kind switch
    {
        IngestSourceKind.GlobalImage => "global-image",
        IngestSourceKind.Vector => "vector",
        _ => "raster",
    };

    private Task<SphereRaster> ReadAsync(
        IngestSource source, IReadOnlyList<IngestBandSpec> specs, SphereGrid grid, long maxRasterPixels, IProgress<double> reading, CancellationToken cancellationToken)
    {
        if (source.Kind == IngestSourceKind.Vector)
        {
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
            ? RasterSource.GlobalImage(source.Paths[0])
            : source.Paths.Count == 1 ? RasterSource.File(source.Paths[0]) : RasterSource.Tiles(source.Paths);
        raster = raster with { Sandbox = source.Sandbox };
        var options = new RasterIngestOptions { Bands = selections, Limits = ServerRasterLimits.For(maxRasterPixels), Progress = reading };
        return _ingestor.IngestAsync(raster, grid, options, cancellationToken);
    }

    /// <summary>The role a band plays: as requested, or for unspecified roles input (rasters) or the band's default (vectors).</summary>
    public static BandRole EffectiveRole(IngestSource source, IngestBandSpec spec) => spec.Role
        ?? (source.Kind == IngestSourceKind.Vector ? VectorLayerBands.DefaultRole(spec.SourceBand) : BandRole.Input);

    /// <summary>No selection: every raster band but alpha as an input; vector layers give fraction (input) and label (label).</summary>
    private static List<IngestBandSpec> DefaultSpecs(IReadOnlyList<IngestSource> sources)
    {
        var specs = new List<IngestBandSpec>();
        foreach (IngestSource source in sources)
        {
            if (source.Kind == IngestSourceKind.Vector)
            {
                specs.Add(new IngestBandSpec { SourceIndex = source.Index, SourceBand = VectorLayerBands.Fraction, Role = BandRole.Input });
                specs.Add(new IngestBandSpec { SourceIndex = source.Index, SourceBand = VectorLayerBands.Label, Role = BandRole.Label });
                continue;
            }

            for (int band = 1; band <= source.BandCount; band++)
            {
                if (!source.AlphaBands.Contains(band))
                {
                    specs.Add(new IngestBandSpec { SourceIndex = source.Index, SourceBand = band, Role = BandRole.Input });
                }
            }
        }

        return specs;
    }

    private static void Validate(IReadOnlyList<IngestBandSpec> specs, IReadOnlyList<IngestSource> sources, bool explicitSelection)
    {
        for (int i = 0; i < specs.Count; i++)
        {
            IngestBandSpec spec = specs[i];
            string field = $"bands[{i}]";
            if (spec.SourceIndex < 0 || spec.SourceIndex >= sources.Count)
            {
                throw new EngineInputException($"{field}.source_index {spec.SourceIndex} names no source; use 0 (the main source) or 1..{sources.Count - 1}.", field + ".source_index");
            }

            IngestSource source = sources[spec.SourceIndex];
            if (spec.SourceBand < 1 || spec.SourceBand > source.BandCount)
            {
                string what = source.Kind == IngestSourceKind.Vector ? "offers the bands" : "has the bands";
                throw new EngineInputException($"{field}.source_band {spec.SourceBand} is out of range: {source.Label} {source.Display} {what} {source.DescribeBands()}.", field + ".source_band");
            }

            if (!double.IsFinite(spec.Scale) || !double.IsFinite(spec.Offset))
            {
                throw new EngineInputException($"{field}: scale and offset must be finite numbers.", field);
            }

            if (source.Kind == IngestSourceKind.Vector)
            {
                VectorLayerBands.Validate(spec, field);
            }
            else if (spec.Role == BandRole.Label && spec.Resampling is not (null or Resampling.Mode or Resampling.Nearest))
            {
                throw new EngineInputException(
                    $"{field}: a label band resampled with {spec.Resampling?.ToString().ToLowerInvariant()} would get class ids that do not exist; use mode or nearest (or leave it unset for mode).",
                    field + ".resampling");
            }

            if (spec.LabelMap.Count > 0 && EffectiveRole(source, spec) != BandRole.Label)
            {
                throw new EngineInputException($"{field}.label_map: only label bands take a value map; give the band the label role or drop the map.", field + ".label_map");
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
                throw new EngineInputException(
                    $"{source.Subject} is not used by any band: add a band with source_index {source.Index} " +
                    $"(CLI: --band {source.Index}.BAND:ROLE) or remove the source.", source.Index == 0 ? "bands" : $"additional_sources[{source.Index - 1}]");
            }
        }
    }

    /// <summary>
    /// Turns the library's exceptions for bad inputs into messages that name the source as the client knows it (an
    /// upload by its file name, never its blob path or hash); a file outside the sandbox is refused; cancellation
    /// stays cancellation.
    /// </summary>
    private static async Task<T> GuardAsync<T>(string label, IngestSourceFiles files, Func<Task<T>> work, CancellationToken cancellationToken, string? field = null)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (e is not OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            // GDAL reports an aborted warp as a failure; what happened is the cancellation.
            throw new OperationCanceledException("The ingest was cancelled.", e, cancellationToken);
        }
        catch (EngineAccessDeniedException)
        {
            throw;
        }
        catch (EngineInputException e)
        {
            throw e.Field is null && field is not null ? new EngineInputException(e.Message, field) : e;
        }
        catch (SourceContainmentException e)
        {
            throw new EngineAccessDeniedException(IngestSandboxes.Describe(label, e));
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or ArgumentException or GdalException or IOException)
        {
            throw new EngineInputException($"{label} cannot be ingested: {WithoutServerPaths(Message(e), files)}", field);
        }
    }

    /// <summary>GDAL names files by the path it opened: show each by its display name (uploads) or file name instead.</summary>
    private static string WithoutServerPaths(string message, IngestSourceFiles files)
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

}

/// <summary>
/// The "reading" stage of one source: 0.05 to 0.95 of the job, in equal parts per source, advanced by GDAL's warp
/// progress within the source's part.
/// </summary>
internal sealed class ReadingProgress(IProgress<EngineProgress> target, int step, int steps, string message) : IProgress<double>
{
    public void Report(double value) => target.Report(new EngineProgress(0.05 + (0.9 * (step + value) / steps), "reading", message)
    {
        Step = step,
        TotalSteps = steps,
    });
}

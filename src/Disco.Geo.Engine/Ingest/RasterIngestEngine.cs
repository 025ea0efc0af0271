using System.Diagnostics;
using Disco.Geo.Grids;
using Disco.Geo.Raster.Ingest;
using Microsoft.Extensions.Logging;

namespace Disco.Geo.Engine.Ingest;

/// <summary>
/// <see cref="IIngestEngine"/> on Disco.Geo.Raster's <see cref="MultiSourceIngestor"/>, which classifies, validates,
/// reads and assembles the sources; the engine maps the request onto it, reports progress in the job's stages and
/// turns the library's input and sandbox errors into <see cref="EngineInputException"/> and
/// <see cref="EngineAccessDeniedException"/>.
/// </summary>
internal sealed class RasterIngestEngine(ILoggerFactory loggers) : IIngestEngine
{
    private readonly MultiSourceIngestor _ingestor = new(loggers);
    private readonly ILogger _logger = loggers.CreateLogger<RasterIngestEngine>();

    public async Task<IngestOutput> IngestAsync(IngestWork work, IProgress<EngineProgress> progress, CancellationToken cancellationToken)
    {
        Stopwatch clock = Stopwatch.StartNew();
        SphereGrid grid = work.Grid;
        progress.Report(new EngineProgress(0, "opening", $"Opening {work.Sources.Count} source(s)"));

        // The request was inspected when it arrived; a job started after a restart or a resume inspects again, and
        // then reads each single-file raster from the open its inspection made.
        MultiSourcePlan? plan = work.Inspection is { } inspection ? new MultiSourcePlan(inspection.Bands.ToArray(), (IngestSource[])inspection.Sources) : null;
        var stages = new StageProgress(progress, grid);
        AssembledIngest assembled = await Translate(() => _ingestor.IngestAsync(Request(work), plan, stages, cancellationToken));
        IngestOutput output = new(assembled.Values, assembled.Mask,
            assembled.Bands.Select(b => new DatasetBand(b.Name, b.Role, b.Resampling, b.SourceBand, b.Description)).ToArray(), assembled.ProvenanceJson)
        {
            TimeSteps = assembled.Time?.Steps ?? [],
        };
        _logger.LogInformation("Ingest onto {Grid} finished in {Milliseconds} ms: {Bands}; {Valid}",
            grid, clock.ElapsedMilliseconds, string.Join(", ", output.Bands.Select(b => b.Name)), output.Mask is null ? "every node valid" : "with a validity mask");
        progress.Report(new EngineProgress(1, "done", $"{output.Bands.Count} band(s) on {grid}") { Step = stages.Steps, TotalSteps = stages.Steps });
        return output;
    }

    public async Task<IngestInspection> InspectAsync(IngestWork work, CancellationToken cancellationToken)
    {
        MultiSourcePlan plan = await Translate(() => _ingestor.InspectAsync(Request(work), cancellationToken));
        return new IngestInspection(plan.Bands.ToArray(), plan.Sources.ToArray());
    }

    private static MultiSourceRequest Request(IngestWork work) => new(
        work.Sources.Select(s => new SourceFiles(s.Paths, s.Sandbox, s.DisplayName) { Variable = s.Variable, VariableField = s.VariableField, Bounds = s.Bounds }).ToArray(),
        work.Grid,
        work.Bands.ToArray(),
        ServerRasterLimits.For(work.MaxRasterPixels))
    {
        SourceFields = work.SourceFields,
    };

    private static async Task<T> Translate<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (IngestInputException e)
        {
            throw new EngineInputException(e.Message, e.Field);
        }
        catch (IngestAccessDeniedException e)
        {
            throw new EngineAccessDeniedException(e.Message);
        }
    }
}

/// <summary>
/// The job's stages of an ingest: "reading" from 0.05 to 0.95 in equal parts per source, advanced by GDAL's warp
/// progress within the source's part, then "assembling".
/// </summary>
internal sealed class StageProgress(IProgress<EngineProgress> target, SphereGrid grid) : IProgress<MultiSourceProgress>
{
    /// <summary>How many sources were read, for the final report.</summary>
    public int Steps { get; private set; }

    public void Report(MultiSourceProgress value)
    {
        Steps = value.Steps;
        if (value.Source is not { } source)
        {
            target.Report(new EngineProgress(0.97, "assembling", $"Assembling {value.BandCount} band(s) on {grid}") { Step = value.Steps, TotalSteps = value.Steps });
            return;
        }

        string message = $"Source {value.Step + 1}/{value.Steps}: {source.Display} ({MultiSourceIngestor.KindName(source.Kind)})";
        target.Report(new EngineProgress(0.05 + (0.9 * (value.Step + value.Fraction) / value.Steps), "reading", message)
        {
            Step = value.Step,
            TotalSteps = value.Steps,
        });
    }
}

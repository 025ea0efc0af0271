using Disco.Geo.Engine.Ingest;
using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster;
using Disco.Geo.Raster.Ingest;
using Microsoft.Extensions.Logging.Abstractions;

namespace Disco.Geo.Engine.Tests.Ingest;

/// <summary>
/// The ingest engine on GDAL-written files: it hands the work to Raster's multi-source ingest and answers in the
/// engine's terms (band records, job stages, input and access errors).
/// </summary>
public sealed class RasterIngestEngineTests : IDisposable
{
    private static readonly SphereGrid Grid = SphereGrid.Create(GridKind.Equiangular, 19, 36);

    private readonly TempDirectory _temp = new();
    private readonly RasterIngestEngine _engine = new(NullLoggerFactory.Instance);

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task An_inspected_request_ingests_with_the_filled_in_bands_and_reports_the_job_stages()
    {
        string path = GlobalGeoTiff.Write(_temp.File("fields.tif"), 72, 36, [(lat, _) => lat, (_, lon) => lon], ["latitude", "longitude"]);
        IngestWork work = Work(path, []);

        IngestInspection inspection = await _engine.InspectAsync(work, CancellationToken.None);
        Assert.Equal([1, 2], inspection.Bands.Select(b => b.SourceBand));
        Assert.All(inspection.Bands, b => Assert.Equal(BandRole.Input, b.Role));

        var stages = new List<EngineProgress>();
        IngestOutput output = await _engine.IngestAsync(work with { Inspection = inspection }, new Inline(stages.Add), CancellationToken.None);

        Assert.Equal(["latitude", "longitude"], output.Bands.Select(b => b.Name));
        Assert.Equal(2 * (int)Grid.NodeCount, output.Values.Length);
        Assert.Contains("from the main source 'fields.tif', band 2", output.Bands[1].Description, StringComparison.Ordinal);
        Assert.Equal(["opening", "reading", "assembling", "done"], stages.Select(s => s.Stage).Distinct());
        Assert.Equal((1.0, 1L), (stages[^1].Fraction, stages[^1].TotalSteps));
        Assert.Contains(stages, s => s.Stage == "reading" && s.Message == "Source 1/1: 'fields.tif' (raster)");
    }

    [Fact]
    public async Task Library_errors_become_engine_errors_with_the_request_field()
    {
        string path = GlobalGeoTiff.Write(_temp.File("one.tif"), 72, 36, [(lat, _) => lat]);

        EngineInputException range = await Assert.ThrowsAsync<EngineInputException>(() =>
            _engine.InspectAsync(Work(path, [new SourceBandSpec { SourceBand = 3 }]), CancellationToken.None));
        Assert.Equal("bands[0].source_band", range.Field);

        EngineInputException large = await Assert.ThrowsAsync<EngineInputException>(() =>
            _engine.InspectAsync(Work(path, []) with { MaxRasterPixels = 1000 }, CancellationToken.None));
        Assert.Equal("dataset_id", large.Field);
        Assert.Contains("raise Limits:MaxRasterPixels if the file is genuine", large.Message, StringComparison.Ordinal);

        string outside = GlobalGeoTiff.Write(_temp.File("outside.tif"), 72, 36, [(lat, _) => lat]);
        var denied = new IngestWork([new IngestSourceFiles([outside], IngestSandboxes.ForUpload(path), "upload.tif")], Grid, [], 1L << 30);
        EngineAccessDeniedException e = await Assert.ThrowsAsync<EngineAccessDeniedException>(() => _engine.InspectAsync(denied, CancellationToken.None));
        Assert.StartsWith("The main source 'upload.tif' cannot be read", e.Message, StringComparison.Ordinal);
    }

    private IngestWork Work(string path, SourceBandSpec[] bands) =>
        new([new IngestSourceFiles([path], SourceSandbox.Directories([_temp.Path], IngestSandboxes.AllowedDrivers))], Grid, bands, 1L << 30)
        {
            SourceFields = ["dataset_id"],
        };

    /// <summary>Records progress as it is reported (Progress&lt;T&gt; would post it to the thread pool, out of order).</summary>
    private sealed class Inline(Action<EngineProgress> report) : IProgress<EngineProgress>
    {
        public void Report(EngineProgress value) => report(value);
    }
}

using System.Text.Json;
using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster.Ingest;

namespace Disco.Geo.Raster.Tests.Ingest;

/// <summary>
/// Multi-source ingest on GDAL-written files: classification, default bands, validation, assembly of a raster with a
/// vector layer, and the single open of a source that a read without a prior inspection makes.
/// </summary>
public sealed class MultiSourceIngestorTests : IDisposable
{
    // 10° equiangular grid, column 0 at 180° W.
    private static readonly SphereGrid Grid = SphereGrid.Create(GridKind.Equiangular, 19, 36);

    private readonly TempDirectory _temp = new();
    private readonly MultiSourceIngestor _ingestor = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Inspection_classifies_the_sources_fills_in_default_bands_and_describes_rasters_as_the_inspector_does()
    {
        string raster = Elevation("elevation.tif");
        string vector = ReferencingFiles.WriteShapefile(_temp.File("land.shp"), (-180, 0, 180, 90, 7));

        MultiSourcePlan plan = await _ingestor.InspectAsync(Request([Files(raster), Files(vector)], []));

        (IngestSource elevation, IngestSource land) = (plan.Sources[0], plan.Sources[1]);
        Assert.Equal((IngestSourceKind.Raster, 1, "elevation"), (elevation.Kind, elevation.BandCount, elevation.BandNames[0]));
        SourceInfo described = RasterInspector.Inspect(raster);
        Assert.Equal((described.Driver, described.Crs, described.Bounds, described.Width), (elevation.Raster!.Driver, elevation.Raster.Crs, elevation.Raster.Bounds, elevation.Raster.Width));
        Assert.Equal((IngestSourceKind.Vector, 1L), (land.Kind, land.FeatureCount));
        Assert.Equal(["fraction", "label", "code"], land.BandNames);
        Assert.Null(land.Raster);

        // No selection: every raster band as an input, and a vector layer's fraction (input) and label (label).
        Assert.Equal(
            [(0, 1, BandRole.Input), (1, 1, BandRole.Input), (1, 2, BandRole.Label)],
            plan.Bands.Select(b => (b.SourceIndex, b.SourceBand, b.Role!.Value)).ToArray());
    }

    [Fact]
    public async Task Band_specs_are_validated_against_the_sources_and_name_the_field_at_fault()
    {
        string raster = Elevation("elevation.tif");
        string vector = ReferencingFiles.WriteShapefile(_temp.File("land.shp"), (-180, 0, 180, 90, 7));

        IngestInputException range = await Assert.ThrowsAsync<IngestInputException>(() =>
            _ingestor.InspectAsync(Request([Files(raster)], [new SourceBandSpec { SourceBand = 2 }])));
        Assert.Equal("bands[0].source_band", range.Field);
        Assert.Contains("has the bands 1 elevation", range.Message, StringComparison.Ordinal);

        IngestInputException label = await Assert.ThrowsAsync<IngestInputException>(() =>
            _ingestor.InspectAsync(Request([Files(raster)], [new SourceBandSpec { SourceBand = 1, Role = BandRole.Label, Resampling = Resampling.Bilinear }])));
        Assert.Equal("bands[0].resampling", label.Field);

        IngestInputException fraction = await Assert.ThrowsAsync<IngestInputException>(() =>
            _ingestor.InspectAsync(Request([Files(raster), Files(vector)], [new SourceBandSpec { SourceBand = 1 }, new SourceBandSpec { SourceIndex = 1, SourceBand = 1, Role = BandRole.Label }])));
        Assert.Equal("bands[1].role", fraction.Field);

        IngestInputException unused = await Assert.ThrowsAsync<IngestInputException>(() =>
            _ingestor.InspectAsync(Request([Files(raster), Files(vector)], [new SourceBandSpec { SourceBand = 1 }])));
        Assert.Equal("additional_sources[0]", unused.Field);
    }

    [Fact]
    public async Task A_raster_and_a_vector_mask_assemble_into_named_bands_with_one_validity_mask_and_provenance()
    {
        string raster = Elevation("elevation.tif");
        string vector = ReferencingFiles.WriteShapefile(_temp.File("north.shp"), (-180, 0, 180, 90, 3));
        SourceBandSpec[] bands =
        [
            new() { SourceBand = 1, Name = "height", Scale = 2, Offset = 1 },
            new() { SourceIndex = 1, SourceBand = 3 },
            new() { SourceIndex = 1, SourceBand = 2, Role = BandRole.Mask },
        ];

        AssembledIngest result = await _ingestor.IngestAsync(Request([Files(raster), Files(vector)], bands));

        Assert.Equal(["height", "code"], result.Bands.Select(b => b.Name));
        Assert.Equal(BandRole.Label, result.Bands[1].Role);
        int nodes = (int)Grid.NodeCount;
        Assert.NotNull(result.Mask);
        for (int i = 0; i < Grid.NLat; i++)
        {
            double lat = Grid.LatitudeDegrees(i);
            int k = (i * Grid.NLon) + 5;
            if (lat is > 10 and < 80)
            {
                // Inside the polygon: the scaled elevation (the area average of a linear field is its value at the node) and the class id.
                Assert.Equal(1, result.Mask![k]);
                Assert.Equal((float)((2 * lat) + 1), result.Values[k], 1);
                Assert.Equal(3f, result.Values[nodes + k]);
            }
            else if (lat is < -10 and > -80)
            {
                Assert.Equal((0, 0f, 0f), (result.Mask![k], result.Values[k], result.Values[nodes + k]));
            }
        }

        using JsonDocument provenance = JsonDocument.Parse(result.ProvenanceJson);
        Assert.Equal(["raster", "vector"], provenance.RootElement.GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("kind").GetString()));
        Assert.Equal("mode", provenance.RootElement.GetProperty("bands")[1].GetProperty("resampling").GetString());
    }

    [Fact]
    public async Task Without_a_prior_inspection_a_raster_is_read_from_the_open_its_inspection_made()
    {
        string raster = Elevation("elevation.tif");
        MultiSourceRequest request = Request([Files(raster)], []);

        // The file disappears once inspection is done and reading begins: a second open would fail, the dataset that
        // inspection opened still reads it.
        var progress = new DeleteOnFirstRead(raster);
        AssembledIngest result = await _ingestor.IngestAsync(request, plan: null, progress);
        Assert.True(progress.Deleted);
        Assert.Equal("elevation", Assert.Single(result.Bands).Name);

        // With a plan from an earlier inspection the job opens the file itself, and a missing file is the user's to fix.
        string again = Elevation("again.tif");
        MultiSourcePlan plan = await _ingestor.InspectAsync(Request([Files(again)], []));
        File.Delete(again);
        IngestInputException e = await Assert.ThrowsAsync<IngestInputException>(() => _ingestor.IngestAsync(Request([Files(again)], []), plan));
        Assert.StartsWith("The main source 'again.tif' cannot be ingested", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_temp.Path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_outside_its_sandbox_is_refused_naming_the_source_as_the_user_knows_it()
    {
        string raster = Elevation("elevation.tif");
        string other = Elevation("other.tif");
        var files = new SourceFiles([other], IngestSandboxes.ForUpload(raster), "upload.tif");

        IngestAccessDeniedException e = await Assert.ThrowsAsync<IngestAccessDeniedException>(() => _ingestor.InspectAsync(Request([files], [])));
        Assert.StartsWith("The main source 'upload.tif' cannot be read", e.Message, StringComparison.Ordinal);
    }

    private string Elevation(string name) =>
        GlobalGeoTiff.Write(_temp.File(name), 72, 36, [(lat, _) => lat], ["elevation"]);

    private SourceFiles Files(string path) => new([path], SourceSandbox.Directories([_temp.Path], IngestSandboxes.AllowedDrivers));

    private static MultiSourceRequest Request(SourceFiles[] sources, SourceBandSpec[] bands) => new(sources, Grid, bands, RasterLimits.Default);

    /// <summary>Deletes the file when the first source starts to be read, synchronously (progress is reported inline).</summary>
    private sealed class DeleteOnFirstRead(string path) : IProgress<MultiSourceProgress>
    {
        public bool Deleted { get; private set; }

        public void Report(MultiSourceProgress value)
        {
            if (!Deleted && value.Source is not null)
            {
                File.Delete(path);
                Deleted = true;
            }
        }
    }
}

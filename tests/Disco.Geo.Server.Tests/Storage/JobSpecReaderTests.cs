using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Jobs.Handlers;

namespace Disco.Geo.Server.Tests.Storage;

/// <summary>The handlers' specs read from stored v1 requests: every source, field name and setting arrives.</summary>
public sealed class JobSpecReaderTests
{
    private readonly JobSpecReader _reader = new();

    [Fact]
    public void An_ingest_spec_names_each_source_by_its_request_field()
    {
        var request = new IngestDatasetRequest
        {
            Name = "land",
            Description = "d",
            DatasetId = "ds_upload",
            Grid = new Grid { Kind = GridKind.Equiangular, Nlat = 8, Nlon = 16 },
            Bands = { new BandSpec { SourceIndex = 1, SourceBand = 2, Name = "b", Role = BandRole.Label } },
            AdditionalSources = { new RasterSource { ServerPath = "/data/extra.tif" }, new RasterSource { DatasetId = "ds_other" } },
            Labels = { ["k"] = "v" },
        };

        IngestJobSpec spec = _reader.ReadIngest(JobSpecs.Of(request).ToRecord());

        Assert.Equal(["dataset_id", "additional_sources[0]", "additional_sources[1]"], spec.Sources.Select(s => s.Field));
        Assert.Equal(["ds_upload", null, "ds_other"], spec.Sources.Select(s => s.DatasetId));
        Assert.Equal(["/data/extra.tif"], spec.Sources[1].ServerPaths);
        Assert.Equal(request.Grid, spec.Grid.ToApi());
        Assert.Equal((1, 2, "b"), (spec.Bands[0].SourceIndex, spec.Bands[0].SourceBand, spec.Bands[0].Name));
        Assert.Equal(("land", "d", "v", "ds_upload"), (spec.Name, spec.Description, spec.Labels["k"], spec.SourceDatasetId));
    }

    [Fact]
    public void An_ingest_without_a_main_source_has_no_sources()
    {
        var request = new IngestDatasetRequest { Name = "x", AdditionalSources = { new RasterSource { ServerPath = "/a.tif" } } };
        Assert.Empty(_reader.ReadIngest(JobSpecs.Of(request).ToRecord()).Sources);
    }

    [Fact]
    public void Prediction_training_and_verify_specs_carry_their_inputs()
    {
        var predict = new PredictRequest { Model = "mdl_1", Panorama = new PanoramaSource { DatasetId = "ds_photo", YawDegrees = 90 }, RowsPerTile = 4, RotationAveraging = 2 };
        PredictionJobSpec prediction = _reader.ReadPrediction(JobSpecs.Of(predict).ToRecord());
        Assert.Equal(("mdl_1", PredictionInputKind.Panorama, "ds_photo", 4), (prediction.Model, prediction.Input.Kind, prediction.Input.Reference, prediction.RowsPerTile));
        Assert.Equal(90, prediction.Input.Orientation!.YawDegrees);
        PredictionJobSpec levelled = _reader.ReadPrediction(JobSpecs.Of(new PredictRequest { Model = "mdl_1", Dataset = "ds_1", LevelWith = "mdl_2", LevelRefinements = 2 }).ToRecord());
        Assert.Equal(("mdl_2", 2), (levelled.Settings.Leveller, levelled.Settings.LevelRefinements));

        PredictionJobSpec raster = _reader.ReadPrediction(JobSpecs.Of(new PredictRequest { Model = "m", Raster = new RasterSource { ServerPath = "/r.tif" } }).ToRecord());
        Assert.Equal((PredictionInputKind.ServerPath, "/r.tif"), (raster.Input.Kind, raster.Input.Reference));

        TrainingJobSpec training = _reader.ReadTraining(JobSpecs.Of(new StartTrainingRequest { ModelName = "m", Datasets = { "a" }, ValidationDatasets = { "b" } }).ToRecord());
        Assert.Equal(["a"], training.Datasets);
        Assert.Equal(["b"], training.ValidationDatasets);
        Assert.Equal("m", training.ModelName);
        Assert.Equal("m", training.Request.Value.ModelName);

        Assert.Equal(new VerifyJobSpec("ds_1", null), _reader.ReadVerify(JobSpecs.Of(new VerifyDatasetRequest { Dataset = "ds_1" }).ToRecord()));
        Assert.Equal(new VerifyJobSpec(null, "mdl_1"), _reader.ReadVerify(JobSpecs.Of(new VerifyModelRequest { Model = "mdl_1" }).ToRecord()));
    }
}

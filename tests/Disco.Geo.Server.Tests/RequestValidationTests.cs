using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Services;
using Disco.Geo.Server.Tests.Infrastructure;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// Every request is checked when it arrives: sizes against the Limits settings, enums, numbers, the model the engine
/// would build, the device, and the bands against the sources' metadata. A refused request names the field (and the
/// setting that raises a limit) and queues no job.
/// </summary>
public sealed class RequestValidationTests() : ServerTests("validation", importRoot: true)
{
    private static readonly Grid Grid = TinyTraining.Grid17;

    [Fact]
    public void Every_repeated_map_and_string_field_of_every_request_has_a_limit()
    {
        var missing = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<MessageDescriptor>(RequestLimits.RequestTypes);
        while (pending.TryDequeue(out MessageDescriptor? message))
        {
            if (!seen.Add(message.FullName))
            {
                continue;
            }

            foreach (FieldDescriptor field in message.Fields.InFieldNumberOrder())
            {
                if (field.IsMap)
                {
                    Require(field.FullName);
                    foreach (FieldDescriptor part in field.MessageType.Fields.InFieldNumberOrder().Where(f => f.FieldType == FieldType.String))
                    {
                        Require($"{field.FullName}.{part.Name}");
                    }

                    continue;
                }

                if (field.IsRepeated)
                {
                    Require(field.FullName);
                }

                if (field.FieldType == FieldType.String)
                {
                    Require(field.IsRepeated ? field.FullName + "[]" : field.FullName);
                }
                else if (field.FieldType == FieldType.Message && field.MessageType.FullName.StartsWith("disco.", StringComparison.Ordinal))
                {
                    pending.Enqueue(field.MessageType);
                }
            }
        }

        Assert.Empty(missing);
        Assert.Contains("disco.geo.v1.BandSpec", seen);

        void Require(string key)
        {
            if (!RequestLimits.Table.ContainsKey(key))
            {
                missing.Add(key);
            }
        }
    }

    [Theory]
    [InlineData("bands", nameof(LimitsOptions.MaxBandSpecs))]
    [InlineData("tiles.paths", nameof(LimitsOptions.MaxTilePaths))]
    [InlineData("additional_sources", nameof(LimitsOptions.MaxAdditionalSources))]
    [InlineData("labels", nameof(LimitsOptions.MaxLabels))]
    [InlineData("bands[0].label_map", nameof(LimitsOptions.MaxLabelMapEntries))]
    [InlineData("bands[0].name", nameof(LimitsOptions.MaxNameLength))]
    [InlineData("request_id", nameof(LimitsOptions.MaxRequestIdLength))]
    [InlineData("server_path.path", nameof(LimitsOptions.MaxPathLength))]
    [InlineData("dataset_id", nameof(LimitsOptions.MaxNameLength))]
    [InlineData("description", nameof(LimitsOptions.MaxDescriptionLength))]
    public async Task Ingest_requests_one_past_a_limit_are_refused_naming_the_setting(string field, string setting)
    {
        var limits = new LimitsOptions();
        string raster = TinyTraining.WriteLabelledGeoTiff(Path.Combine(_root, "tile.tif"), 32, 16);
        var request = new IngestDatasetRequest { Name = "over", Grid = Grid, ServerPath = new ServerPathSource { Path = raster } };
        switch (field)
        {
            case "bands":
                request.Bands.Add(Enumerable.Range(0, limits.MaxBandSpecs + 1).Select(i => new BandSpec { SourceBand = 1, Name = "b" + i }));
                break;
            case "tiles.paths":
                request.Tiles = new TileListSource { Paths = { Enumerable.Repeat(raster, limits.MaxTilePaths + 1) } };
                break;
            case "additional_sources":
                request.AdditionalSources.Add(Enumerable.Range(0, limits.MaxAdditionalSources + 1).Select(_ => new RasterSource { ServerPath = raster }));
                break;
            case "labels":
                request.Labels.Add(Enumerable.Range(0, limits.MaxLabels + 1).ToDictionary(i => "k" + i, _ => "v"));
                break;
            case "bands[0].label_map":
                request.Bands.Add(new BandSpec { SourceBand = 2, Role = BandRole.Label, LabelMap = { Enumerable.Range(0, limits.MaxLabelMapEntries + 1).ToDictionary(i => (long)i, _ => 0) } });
                break;
            case "bands[0].name":
                request.Bands.Add(new BandSpec { SourceBand = 1, Name = new string('n', limits.MaxNameLength + 1) });
                break;
            case "request_id":
                request.RequestId = new string('r', limits.MaxRequestIdLength + 1);
                break;
            case "server_path.path":
                request.ServerPath.Path = _root + "/" + new string('p', limits.MaxPathLength);
                break;
            case "dataset_id":
                request.DatasetId = new string('d', limits.MaxNameLength + 1);
                break;
            case "description":
                request.Description = new string('x', limits.MaxDescriptionLength + 1);
                break;
        }

        DiscoException refused = await ExpectRefusedAsync(() => _client.IngestDatasetAsync(request), field);
        Assert.Contains($"Limits:{setting}", refused.Message, StringComparison.Ordinal);
        Assert.True(refused.Message.Length < 500, "the message must not echo the oversized input: " + refused.Message.Length);
    }

    [Fact]
    public async Task Training_and_lookup_requests_one_past_a_limit_are_refused_naming_the_setting()
    {
        var limits = new LimitsOptions();
        string dataset = await LabelledDatasetAsync();
        StartTrainingRequest names = TinyTraining.Request("m", [dataset], epochs: 1);
        names.Model.ClassNames.Clear();
        names.Model.ClassNames.Add(Enumerable.Range(0, limits.MaxClassNames + 1).Select(i => "c" + i));
        DiscoException refused = await ExpectRefusedAsync(() => _client.StartTrainingAsync(names), "model.class_names");
        Assert.Contains("Limits:MaxClassNames", refused.Message, StringComparison.Ordinal);

        StartTrainingRequest datasets = TinyTraining.Request("m", Enumerable.Repeat(dataset, limits.MaxTrainingDatasets + 1), epochs: 1);
        refused = await ExpectRefusedAsync(() => _client.StartTrainingAsync(datasets), "datasets");
        Assert.Contains("Limits:MaxTrainingDatasets", refused.Message, StringComparison.Ordinal);

        refused = await ExpectRefusedAsync(() => _client.GetJobAsync("job_" + new string('0', limits.MaxNameLength)), "job_id");
        Assert.Contains("Limits:MaxNameLength", refused.Message, StringComparison.Ordinal);
        refused = await ExpectRefusedAsync(() => _client.GetDatasetAsync(new string('d', limits.MaxNameLength + 1)), "dataset");
        Assert.Contains("Limits:MaxNameLength", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Limits_are_settings_a_server_can_raise_or_lower()
    {
        await using TestServer strict = await TestServer.StartAsync(["--Limits:MaxBandSpecs=2"]);
        using DiscoClient client = strict.Client();
        var request = new IngestDatasetRequest
        {
            Name = "three",
            Grid = Grid,
            DatasetId = "ds_01M88H4Z67HD4W5C06392PXC16",
            Bands = { new BandSpec { SourceBand = 1 }, new BandSpec { SourceBand = 2 }, new BandSpec { SourceBand = 3 } },
        };
        DiscoException refused = await Expect.StatusAsync(StatusCode.InvalidArgument, () => client.IngestDatasetAsync(request));
        Assert.Equal("bands", Assert.Single(refused.FieldViolations).Field);
        Assert.Contains("at most 2", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("levels 100", "model.levels")]
    [InlineData("base_channels 1e6", "model.base_channels")]
    [InlineData("blocks 1e6", "model.blocks_per_level")]
    [InlineData("kernel [1000, 1000]", "model.kernel_shape")]
    [InlineData("kernel [3, 4, 5]", "model.kernel_shape")]
    [InlineData("cutoff 100 rad", "model.cutoff_radians")]
    [InlineData("cutoff NaN", "model.cutoff_radians")]
    [InlineData("100k class names", "model.class_names")]
    [InlineData("batch 1e6", "hyper_parameters.batch_size")]
    [InlineData("rotation 99", "hyper_parameters.rotation")]
    [InlineData("architecture 7", "model.architecture")]
    [InlineData("device cuda:0 without a GPU", "device")]
    [InlineData("levels 8 on a 17x32 grid", "model.levels")]
    public async Task Training_requests_the_engine_cannot_run_are_refused_before_a_job_is_queued(string @case, string field)
    {
        StartTrainingRequest request = TinyTraining.Request("m", [await LabelledDatasetAsync()], epochs: 1);
        switch (@case)
        {
            case "levels 100": request.Model.Levels = 100; break;
            case "base_channels 1e6": request.Model.BaseChannels = 1_000_000; break;
            case "blocks 1e6": request.Model.BlocksPerLevel = 1_000_000; break;
            case "kernel [1000, 1000]": request.Model.KernelShape.Add(new[] { 1000, 1000 }); break;
            case "kernel [3, 4, 5]": request.Model.KernelShape.Add(new[] { 3, 4, 5 }); break;
            case "cutoff 100 rad": request.Model.CutoffRadians = 100; break;
            case "cutoff NaN": request.Model.CutoffRadians = double.NaN; break;
            case "100k class names": request.Model.ClassNames.Add(Enumerable.Range(0, 100_000).Select(i => "c" + i)); break;
            case "batch 1e6": request.HyperParameters.BatchSize = 1_000_000; break;
            case "rotation 99": request.HyperParameters.Rotation = (RotationAugmentation)99; break;
            case "architecture 7": request.Model.Architecture = (Architecture)7; break;
            case "device cuda:0 without a GPU": request.Device = TorchSharp.torch.cuda.is_available() ? "cuda:99" : "cuda:0"; break;
            case "levels 8 on a 17x32 grid": request.Model.Levels = 8; break;
        }

        await ExpectRefusedAsync(() => _client.StartTrainingAsync(request), field);
    }

    [Theory]
    [InlineData("source band beyond the band count", "bands[1].source_band")]
    [InlineData("label band with average resampling", "bands[1].resampling")]
    [InlineData("role 99", "bands[0].role")]
    [InlineData("scale infinite", "bands[0].scale")]
    [InlineData("multi-variable NetCDF without a variable", "dataset_id")]
    [InlineData("not a raster", "server_path.path")]
    [InlineData("label map on an input band", "bands[0].label_map")]
    public async Task Ingest_requests_the_sources_cannot_satisfy_are_refused_before_a_job_is_queued(string @case, string field)
    {
        string raster = TinyTraining.WriteLabelledGeoTiff(Path.Combine(_root, "two-bands.tif"), 64, 32);
        var request = new IngestDatasetRequest { Name = "bad", Grid = Grid, ServerPath = new ServerPathSource { Path = raster } };
        BandSpec input = new() { SourceBand = 1, Role = BandRole.Input };
        switch (@case)
        {
            case "source band beyond the band count":
                request.Bands.Add(new[] { input, new BandSpec { SourceBand = 3, Role = BandRole.Label } });
                break;
            case "label band with average resampling":
                request.Bands.Add(new[] { input, new BandSpec { SourceBand = 2, Role = BandRole.Label, Resampling = Resampling.Average } });
                break;
            case "role 99":
                request.Bands.Add(new BandSpec { SourceBand = 1, Role = (BandRole)99 });
                break;
            case "scale infinite":
                request.Bands.Add(new BandSpec { SourceBand = 1, Scale = double.PositiveInfinity });
                break;
            case "multi-variable NetCDF without a variable":
                string netcdf = NetCdfFiles.WriteVariables(Path.Combine(_root, "two.nc"), 16, 32, "temperature", "salinity");
                request.DatasetId = (await _client.UploadFileAsync(netcdf)).Dataset.Id;
                break;
            case "not a raster":
                request.ServerPath.Path = Temp.File(_root, "random.tif", 5000, seed: 1);
                break;
            case "label map on an input band":
                request.Bands.Add(new BandSpec { SourceBand = 1, Role = BandRole.Input, LabelMap = { [0] = 0 } });
                break;
        }

        DiscoException refused = await ExpectRefusedAsync(() => _client.IngestDatasetAsync(request), field);
        if (@case == "source band beyond the band count")
        {
            Assert.Contains("source_band 3 is out of range", refused.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("west NaN", "bounds.west")]
    [InlineData("north infinite", "bounds.north")]
    [InlineData("south below -90", "bounds.south")]
    [InlineData("north above 90", "bounds.north")]
    [InlineData("south not below north", "bounds.north")]
    [InlineData("east not beyond west", "bounds.east")]
    [InlineData("wider than 360", "bounds.east")]
    [InlineData("longitude beyond 360", "bounds.west")]
    [InlineData("bounds on tiles", "bounds")]
    [InlineData("bounds on a georeferenced file", "bounds")]
    [InlineData("bad bounds on an additional source", "additional_sources[0].bounds.north")]
    [InlineData("bounds on a georeferenced additional source", "additional_sources[0].bounds")]
    public async Task Ingest_bounds_that_cannot_place_an_image_are_refused_before_a_job_is_queued(string @case, string field)
    {
        string raster = TinyTraining.WriteLabelledGeoTiff(Path.Combine(_root, "two-bands.tif"), 64, 32);
        var request = new IngestDatasetRequest { Name = "bad", Grid = Grid, ServerPath = new ServerPathSource { Path = raster } };
        GeographicBounds Bounds(double west, double south, double east, double north) => new() { West = west, South = south, East = east, North = north };
        request.Bounds = @case switch
        {
            "west NaN" => Bounds(double.NaN, 0, 90, 45),
            "north infinite" => Bounds(0, 0, 90, double.PositiveInfinity),
            "south below -90" => Bounds(0, -91, 90, 45),
            "north above 90" => Bounds(0, 0, 90, 91),
            "south not below north" => Bounds(0, 45, 90, 45),
            "east not beyond west" => Bounds(90, 0, 0, 45),
            "wider than 360" => Bounds(-180, 0, 181, 45),
            "longitude beyond 360" => Bounds(-361, 0, 0, 45),
            "bounds on tiles" or "bounds on a georeferenced file" => Bounds(0, 0, 90, 45),
            _ => null,
        };
        if (@case == "bounds on tiles")
        {
            request.Tiles = new TileListSource { Paths = { raster, raster } };
        }

        if (@case.Contains("additional source", StringComparison.Ordinal))
        {
            request.AdditionalSources.Add(new RasterSource { ServerPath = raster, Bounds = @case.StartsWith("bad", StringComparison.Ordinal) ? Bounds(0, 10, 90, 5) : Bounds(0, 0, 90, 45) });
        }

        DiscoException refused = await ExpectRefusedAsync(() => _client.IngestDatasetAsync(request), field);
        if (@case.Contains("georeferenced", StringComparison.Ordinal))
        {
            Assert.Contains("is already georeferenced (EPSG:4326); drop bounds", refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(_root, refused.Message, StringComparison.Ordinal);
        }

        if (@case == "east not beyond west")
        {
            Assert.Contains("antimeridian", refused.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Predict_bounds_are_checked_at_the_call_and_refused_on_a_georeferenced_raster_before_a_job_is_queued()
    {
        Model model = await _client.ImportModelAsync(Packages.Write(_root, "m.discomodel", seed: 4));
        string raster = TinyTraining.WriteLabelledGeoTiff(Path.Combine(_root, "two-bands.tif"), 64, 32);
        string upload = (await _client.UploadFileAsync(raster)).Dataset.Id;
        async Task PredictAsync(RasterSource source)
        {
            await foreach (PredictResponse _ in _client.PredictAsync(new PredictRequest { Model = model.Id, Raster = source }))
            {
            }
        }

        await ExpectRefusedAsync(() => PredictAsync(new RasterSource { ServerPath = raster, Bounds = new GeographicBounds { West = 0, South = 50, East = 90, North = 45 } }), "raster.bounds.north");
        await ExpectRefusedAsync(() => PredictAsync(new RasterSource { ServerPath = raster, Bounds = new GeographicBounds { West = 0, South = 0, East = double.NaN, North = 45 } }), "raster.bounds.east");
        foreach (RasterSource georeferenced in new[] { new RasterSource { ServerPath = raster }, new RasterSource { DatasetId = upload } })
        {
            georeferenced.Bounds = new GeographicBounds { West = 0, South = 0, East = 90, North = 45 };
            DiscoException refused = await ExpectRefusedAsync(() => PredictAsync(georeferenced), "raster.bounds");
            Assert.Contains("already georeferenced (EPSG:4326); drop bounds", refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(_root, refused.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_label_band_of_values_that_are_not_class_ids_fails_training_for_good_and_a_label_map_fixes_the_ingest()
    {
        // A 0/255 land mask, as GIS tools write them.
        string path = GlobalGeoTiff.Write(Path.Combine(_root, "mask.tif"), 128, 64,
        [
            (lat, lon) => AnalyticField.F(lat, lon),
            (lat, lon) => AnalyticField.F(lat, lon) > 10.5 ? 255 : 0,
        ]);
        string raw = (await _client.UploadFileAsync(path, "mask-raw")).Dataset.Id;
        Job ingest = await _client.WaitForJobAsync((await _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "mask",
            DatasetId = raw,
            Grid = Grid,
            Bands = { new BandSpec { SourceBand = 1, Name = "f" }, new BandSpec { SourceBand = 2, Role = BandRole.Label, Name = "land" } },
        })).Id);
        Assert.Equal(JobState.Succeeded, ingest.State);

        StartTrainingRequest request = TinyTraining.Request("m", [ingest.Result.DatasetId], epochs: 1);
        request.Model.ClassNames.Clear();
        Job failed = await _client.WaitForJobAsync((await _client.StartTrainingAsync(request)).Id);
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal((int)StatusCode.InvalidArgument, failed.Error.Code);
        Assert.Contains("holds the values 0, 255", failed.Error.Message, StringComparison.Ordinal);
        Assert.Contains("--label-map 0=0,255=1", failed.Error.Message, StringComparison.Ordinal);
        Assert.False(failed.Resumable);
        await Expect.StatusAsync(StatusCode.FailedPrecondition, () => _client.ResumeJobAsync(failed.Id));

        CliResult train = await CliRunner.RunAsync(_server, "train", "--model-name", "m2", "--dataset", "mask", "--task", "segmentation", "--levels", "2", "--channels", "4", "--epochs", "1");
        Assert.Equal(Cli.ExitCodes.JobUnsuccessful, train.ExitCode);
        Assert.Contains("--label-map 0=0,255=1", train.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("jobs resume", train.Error, StringComparison.Ordinal);

        // The CLI's value map and per-band scale and offset.
        CliResult mapped = await CliRunner.RunAsync(_server, "datasets", "ingest", "--name", "mapped", "--from", "mask-raw", "--grid", "equiangular:17x32:-180",
            "--band", "1:input::f:2:1", "--band", "2:label:mode:land", "--label-map", "0=0,255=1");
        Assert.True(mapped.ExitCode == 0, mapped.ToString());
        GriddedValues original = await GriddedValues.DownloadAsync(_client, ingest.Result.DatasetId);
        GriddedValues values = await GriddedValues.DownloadAsync(_client, "mapped");
        var classes = new HashSet<float>();
        for (int r = 0; r < Grid.Nlat; r++)
        {
            for (int c = 0; c < Grid.Nlon; c++)
            {
                Assert.Equal((2 * original[0, r, c]) + 1, values[0, r, c], 4);
                Assert.Equal(original[1, r, c] == 255 ? 1f : 0f, values[1, r, c]);
                classes.Add(values[1, r, c]);
            }
        }

        Assert.Equal(new[] { 0f, 1f }, classes.Order().ToArray());

        // A map that leaves a value out fails the ingest, naming the value.
        Job incomplete = await _client.WaitForJobAsync((await _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "incomplete",
            DatasetId = raw,
            Grid = Grid,
            Bands = { new BandSpec { SourceBand = 1 }, new BandSpec { SourceBand = 2, Role = BandRole.Label, LabelMap = { [0] = 0 } } },
        })).Id);
        Assert.Equal(JobState.Failed, incomplete.State);
        Assert.Contains("does not list the source values 255", incomplete.Error.Message, StringComparison.Ordinal);
        Assert.False(incomplete.Resumable);
    }

    [Fact]
    public async Task The_ingest_help_documents_scale_offset_and_the_label_map()
    {
        CliResult help = await CliRunner.RunAsync(null, "datasets", "ingest", "--help");
        Assert.Contains("--label-map", help.Output, StringComparison.Ordinal);
        Assert.Contains("0=0,255=1", help.Output, StringComparison.Ordinal);
        Assert.Contains("SCALE[:OFFSET]", help.Output, StringComparison.Ordinal);
    }

    /// <summary>One input band (F) and one label band (0/1) on <see cref="Grid"/>, stored directly.</summary>
    private async Task<string> LabelledDatasetAsync()
    {
        int nodes = Grid.Nlat * Grid.Nlon;
        float[] values = new float[2 * nodes];
        for (int k = 0; k < nodes; k++)
        {
            values[k] = k % 7;
            values[nodes + k] = k % 2;
        }

        return await GriddedDatasets.StoreAsync(_server, "labelled-" + Guid.NewGuid().ToString("N")[..6], Grid, values, [BandRole.Input, BandRole.Label]);
    }

    /// <summary>Expects INVALID_ARGUMENT naming <paramref name="field"/>, without C# parameter names, and no new job.</summary>
    private async Task<DiscoException> ExpectRefusedAsync(Func<Task> call, string field)
    {
        int before = await CountJobsAsync();
        DiscoException refused = await Expect.StatusAsync(StatusCode.InvalidArgument, call);
        Assert.True(refused.FieldViolations.Any(v => v.Field == field),
            $"expected a violation of {field}, got {string.Join("; ", refused.FieldViolations.Select(v => $"{v.Field}: {v.Description}"))}");
        Assert.DoesNotContain("(Parameter", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, await CountJobsAsync());
        return refused;
    }

    private async Task<int> CountJobsAsync()
    {
        int count = 0;
        await foreach (Job _ in _client.ListJobsAsync())
        {
            count++;
        }

        return count;
    }
}

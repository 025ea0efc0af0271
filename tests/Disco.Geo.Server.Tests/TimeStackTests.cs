using System.Text.Json;
using System.Text.Json.Nodes;
using Disco.Geo.Client;
using Disco.Geo.Gdal;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// Time stacks on a real server: a CF-NetCDF file with a time dimension (written by the test; read by the server's
/// real GDAL) ingests as one dataset with one sample per step and the steps' timestamps from the CF time axis (a
/// noleap calendar, which puts day 59 on 1 March); training takes a time range to train on and one to validate on,
/// checked at the RPC; a prediction over the stack predicts every step and exports one COG and STAC Item per step;
/// `disco datasets show` prints the axis.
/// </summary>
public sealed class TimeStackTests() : ServerTests("time-stacks")
{
    private static readonly Grid Grid = TinyTraining.Grid17;

    private static readonly DateTime[] Months =
    [
        new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), new(2020, 2, 1, 0, 0, 0, DateTimeKind.Utc),
        new(2020, 3, 1, 0, 0, 0, DateTimeKind.Utc), new(2020, 4, 1, 0, 0, 0, DateTimeKind.Utc),
    ];

    [Fact]
    public async Task A_netcdf_with_a_time_dimension_ingests_as_one_dataset_of_one_sample_per_step()
    {
        int before = await CountDatasetsAsync();
        Dataset stack = await IngestStackAsync("stack");

        Assert.Equal(Months, stack.TimeSteps.Select(t => t.ToDateTime()));
        Assert.Equal(["airt", "sst"], stack.Bands.Select(b => b.Name));
        Assert.Equal([BandRole.Input, BandRole.Label], stack.Bands.Select(b => b.Role));
        Assert.Equal(before + 2, await CountDatasetsAsync()); // the upload and the stack, not one dataset per step

        using (JsonDocument provenance = JsonDocument.Parse(stack.ProvenanceJson))
        {
            JsonElement time = provenance.RootElement.GetProperty("time");
            Assert.Equal("noleap", time.GetProperty("calendar").GetString());
            Assert.Equal(4, time.GetProperty("steps").GetInt32());
        }

        // Step t of variable v holds 1000·v + 10·t + 0..6 in the file: every step's bands are the step's values.
        GriddedValues values = await GriddedValues.DownloadAsync(_client, stack.Id);
        Assert.Equal(4 * 2 * Grid.Nlat * Grid.Nlon, values.Values.Length);
        for (int t = 0; t < 4; t++)
        {
            AssertValuesIn(values, (2 * t) + 0, 10 * t, (10 * t) + 6);
            AssertValuesIn(values, (2 * t) + 1, 1000 + (10 * t), 1000 + (10 * t) + 6);
        }
    }

    [Fact]
    public async Task Training_time_ranges_are_checked_at_the_rpc_before_any_job_is_queued()
    {
        await IngestStackAsync("stack");
        await TinyTraining.IngestAsync(_client, TinyTraining.WriteLabelledGeoTiff(Path.Combine(_files, "plain.tif"), 64, 32), "plain", Grid);
        int jobs = await CountJobsAsync();

        await ExpectViolationAsync("train_time_range", "empty", Request("stack", Range(Months[2], Months[1]), null));
        await ExpectViolationAsync("train_time_range", "start and end", Request("stack", new TimeRange { Start = Timestamp.FromDateTime(Months[0]) }, null));
        await ExpectViolationAsync("validation_time_range", "overlaps", Request("stack", Range(Months[0], Months[2]), Range(Months[1], Months[3])));
        await ExpectViolationAsync("train_time_range", "holds no step",
            Request("stack", Range(new DateTime(2021, 1, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(2022, 1, 1, 0, 0, 0, DateTimeKind.Utc)), null));
        await ExpectViolationAsync("datasets", "no time axis", Request("plain", Range(Months[0], Months[2]), null));
        StartTrainingRequest both = Request("stack", Range(Months[0], Months[2]), Range(Months[2], Months[3]));
        both.ValidationDatasets.Add("stack");
        await ExpectViolationAsync("validation_time_range", "validation_datasets", both);

        Assert.Equal(jobs, await CountJobsAsync());
    }

    [Fact]
    public async Task Training_on_three_months_then_predicting_the_stack_gives_one_cog_and_stac_item_per_step()
    {
        await IngestStackAsync("stack");
        StartTrainingRequest request = Request("stack", Range(Months[0], Months[2].AddDays(14)), Range(Months[2].AddDays(14), Months[3].AddDays(1)));
        Job trained = await TinyTraining.FinishAsync(_client, (await _client.StartTrainingAsync(request)).Id, TimeSpan.FromMinutes(5));
        Assert.True(trained.State == JobState.Succeeded, trained.Error?.Message);

        PredictionArray map = await _client.PredictToArrayAsync(new PredictRequest { Model = "sst-model", Dataset = "stack" });
        Prediction prediction = await _client.GetPredictionAsync(map.Prediction.Id);
        Assert.Equal(Months, prediction.TimeSteps.Select(t => t.ToDateTime()));
        Assert.Equal(
            ["sst@2020-01-01T00:00:00Z", "sst@2020-02-01T00:00:00Z", "sst@2020-03-01T00:00:00Z", "sst@2020-04-01T00:00:00Z"],
            prediction.Bands.Select(b => b.Name));

        for (int t = 0; t < Months.Length; t++)
        {
            string path = Path.Combine(_files, $"sst-{t}.tif");
            FileMetadata file = await _client.Predictions.ExportAsync(
                new ExportPredictionRequest { Prediction = prediction.Id, Format = ExportFormat.Cog, TimeStep = t }, path);
            Assert.Equal($"{prediction.Name}-{Months[t]:yyyy-MM-dd}T000000Z.tif", file.FileName);
            using (GdalDataset cog = GdalDataset.Open(path))
            {
                Assert.Equal(1, cog.BandCount);
                Assert.Equal(prediction.Bands[t].Name, cog.GetBand(1).Description);
            }

            JsonNode item = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_files, $"sst-{t}.stac.json")))!;
            Assert.Equal($"{prediction.Id}-t{t}", item["id"]!.GetValue<string>());
            Assert.Equal($"{Months[t]:yyyy-MM-dd}T00:00:00Z", item["properties"]!["datetime"]!.GetValue<string>());
            Assert.Equal("input_time_step", item["properties"]!["disco:datetime_source"]!.GetValue<string>());
            Assert.Equal(t, item["properties"]!["disco:time_step"]!.GetValue<int>());
        }

        DiscoException beyond = await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.Predictions.ExportAsync(
            new ExportPredictionRequest { Prediction = prediction.Id, Format = ExportFormat.Cog, TimeStep = 4 }, Path.Combine(_files, "beyond.tif")));
        Assert.Contains(beyond.FieldViolations, v => v.Field == "time_step");

        // A file with a time dimension (one variable: predictions read files whole) is a stack too: every step is predicted.
        string airt = NetCdfFiles.WriteTimeStack(Path.Combine(_files, "airt.nc"), 16, 32, [0, 31, 59, 90], "days since 2020-01-01", "noleap", "airt");
        PredictionArray fromFile = await _client.PredictToArrayAsync(new PredictRequest
        {
            Model = "sst-model",
            Raster = new RasterSource { DatasetId = (await _client.UploadFileAsync(airt)).Dataset.Id },
        });
        Assert.Equal(Months, (await _client.GetPredictionAsync(fromFile.Prediction.Id)).TimeSteps.Select(t => t.ToDateTime()));

        // The CLI writes one file and one Item per step.
        string output = Path.Combine(_files, "cli");
        Directory.CreateDirectory(output);
        CliResult every = await CliRunner.RunAsync(_server, "predictions", "export", prediction.Id, Path.Combine(output, "sst.tif"), "--every-step");
        Assert.True(every.ExitCode == 0, every.ToString());
        Assert.Equal(4, Directory.GetFiles(output, "sst-2020-*.tif").Length);
        Assert.Equal(4, Directory.GetFiles(output, "sst-2020-*.stac.json").Length);
    }

    [Fact]
    public async Task Datasets_show_prints_the_time_axis_and_provenance_and_its_json_has_the_steps()
    {
        await IngestStackAsync("stack");
        CliResult show = await CliRunner.RunAsync(_server, "datasets", "show", "stack");
        Assert.True(show.ExitCode == 0, show.ToString());
        string[] lines = show.Output.Split('\n').Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToArray();
        foreach (string expected in new[]
        {
            "time steps 4", "time first 2020-01-01T00:00:00Z", "time last 2020-04-01T00:00:00Z", "time step 29 days .. 31 days (uneven)",
            "time calendar noleap", "time units days since 2020-01-01",
        })
        {
            Assert.True(lines.Contains(expected), $"'{expected}' missing from:\n{show.Output}");
        }

        Assert.Contains(lines, l => l.StartsWith("variable", StringComparison.Ordinal) || l.Contains("airt", StringComparison.Ordinal));

        CliResult json = await CliRunner.RunAsync(_server, "datasets", "show", "stack", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using JsonDocument document = JsonDocument.Parse(json.Output);
        Assert.Equal(["2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z", "2020-03-01T00:00:00Z", "2020-04-01T00:00:00Z"],
            document.RootElement.GetProperty("timeSteps").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Cf_time_reads_climatologies_from_year_0_and_the_360_day_calendar()
    {
        // coads_climatology.cdf (ferret-datasets): "hour since 0000-01-01 00:00:00", first step 366 h = 16 January, 06:00.
        (DateTime january, string? note) = Raster.Ingest.CfTime.Decode(366, "hour since 0000-01-01 00:00:00", "standard", "coads");
        Assert.Equal(new DateTime(1, 1, 16, 6, 0, 0, DateTimeKind.Utc), january);
        Assert.NotNull(note);
        (DateTime december, _) = Raster.Ingest.CfTime.Decode(8401.335, "hour since 0000-01-01 00:00:00", "standard", "coads");
        Assert.Equal(12, december.Month);

        // 360-day months are 30 days long: day 59 is 30 February, read as the last day of February.
        Assert.Equal(new DateTime(2001, 2, 28, 0, 0, 0, DateTimeKind.Utc), Raster.Ingest.CfTime.Decode(59, "days since 2001-01-01", "360_day", "x").Time);
        Assert.Equal(new DateTime(2001, 3, 1, 0, 0, 0, DateTimeKind.Utc), Raster.Ingest.CfTime.Decode(60, "days since 2001-01-01", "360_day", "x").Time);
        Assert.Equal(new DateTime(2020, 2, 29, 0, 0, 0, DateTimeKind.Utc), Raster.Ingest.CfTime.Decode(59, "days since 2020-01-01", "standard", "x").Time);
        Assert.Throws<Raster.Ingest.IngestInputException>(() => Raster.Ingest.CfTime.Decode(1, "months since 2020-01-01", "standard", "x"));
    }

    private async Task<Dataset> IngestStackAsync(string name)
    {
        string path = NetCdfFiles.WriteTimeStack(Path.Combine(_files, name + ".nc"), 16, 32, [0, 31, 59, 90], "days since 2020-01-01", "noleap", "airt", "sst");
        string upload = (await _client.UploadFileAsync(path, name + "-raw")).Dataset.Id;
        var request = new IngestDatasetRequest
        {
            Name = name,
            Grid = Grid,
            DatasetId = upload,
            Variable = "airt",
            AdditionalSources = { new RasterSource { DatasetId = upload, Variable = "sst" } },
            Bands =
            {
                new BandSpec { SourceIndex = 0, SourceBand = 1, Role = BandRole.Input },
                new BandSpec { SourceIndex = 1, SourceBand = 1, Role = BandRole.Label },
            },
        };
        Job done = await _client.WaitForJobAsync((await _client.IngestDatasetAsync(request)).Id);
        Assert.True(done.State == JobState.Succeeded, done.Error?.Message);
        return await _client.GetDatasetAsync(done.Result.DatasetId);
    }

    private static StartTrainingRequest Request(string dataset, TimeRange? train, TimeRange? validation)
    {
        var request = new StartTrainingRequest
        {
            ModelName = "sst-model",
            Datasets = { dataset },
            Task = TrainingTask.Regression,
            Model = new ModelConfig { Levels = 2, BaseChannels = 4 },
            HyperParameters = new HyperParameters { Epochs = 2, BatchSize = 1, LearningRate = 0.01, Seed = 3 },
        };
        if (train is not null)
        {
            request.TrainTimeRange = train;
        }

        if (validation is not null)
        {
            request.ValidationTimeRange = validation;
        }

        return request;
    }

    private static TimeRange Range(DateTime start, DateTime end) => new() { Start = Timestamp.FromDateTime(start), End = Timestamp.FromDateTime(end) };

    private async Task ExpectViolationAsync(string field, string words, StartTrainingRequest request)
    {
        DiscoException refused = await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.StartTrainingAsync(request));
        Assert.Contains(refused.FieldViolations, v => v.Field == field && v.Description.Contains(words, StringComparison.Ordinal));
    }

    private static void AssertValuesIn(GriddedValues values, int band, float low, float high)
    {
        int checkedNodes = 0;
        for (int row = 0; row < values.NLat; row++)
        {
            for (int column = 0; column < values.NLon; column++)
            {
                if (values.Valid(row, column))
                {
                    Assert.InRange(values[band, row, column], low, high);
                    checkedNodes++;
                }
            }
        }

        Assert.True(checkedNodes > 0, "no valid node");
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

    private async Task<int> CountDatasetsAsync()
    {
        int count = 0;
        await foreach (Dataset _ in _client.ListDatasetsAsync())
        {
            count++;
        }

        return count;
    }
}

using System.Net;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Grpc.Core;

namespace Disco.Geo.Server.Tests;

/// <summary>Wrong ids, bad names, bad grids and paths outside the roots, for the RPCs not covered elsewhere.</summary>
public sealed class RpcValidationTests() : ServerTests("validation-rpc", importRoot: true)
{
    private const string UnknownDataset = "ds_01M88H4Z67HD4W5C06392PXC16";
    private const string UnknownJob = "job_01M88H4Z67HD4W5C06392PXC16";

    [Fact]
    public async Task Dataset_calls_reject_wrong_ids_bad_grids_and_paths_outside_the_roots()
    {
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.GetDatasetAsync(UnknownDataset));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.GetDatasetAsync("no-such-name"));
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.GetDatasetAsync(""));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.DeleteDatasetAsync(UnknownDataset));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.DownloadDatasetAsync(UnknownDataset, Stream.Null));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.VerifyDatasetAsync(UnknownDataset));
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.GetUploadStatusAsyncRaw(new GetUploadStatusRequest { Name = "x", SizeBytes = 1, Sha256 = "zz" }));

        var grid = new Grid { Kind = GridKind.Equiangular, Nlat = 181, Nlon = 360 };
        string inside = Temp.File(_root, "inside.tif", 1000, seed: 1);
        string outside = Temp.File(_files, "secret.tif", 1000, seed: 2);
        DiscoException bad = await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "bad name",
            Grid = new Grid { Kind = GridKind.Unspecified, Nlat = 1, Nlon = 100000 },
            ServerPath = new ServerPathSource { Path = inside },
        }));
        Assert.Contains(bad.FieldViolations, v => v.Field == "name");
        Assert.Contains(bad.FieldViolations, v => v.Field == "grid.kind");
        Assert.Contains(bad.FieldViolations, v => v.Field == "grid.nlat");
        Assert.Contains(bad.FieldViolations, v => v.Field == "grid.nlon");
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "huge",
            Grid = new Grid { Kind = GridKind.Equiangular, Nlat = 60000, Nlon = 60000 },
            ServerPath = new ServerPathSource { Path = inside },
        }));
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "nosource", Grid = grid }));
        await Expect.StatusAsync(StatusCode.PermissionDenied, () => Ingest(outside));
        await Expect.StatusAsync(StatusCode.PermissionDenied, () => Ingest(Path.Combine(_root, "..", Path.GetFileName(_files), "secret.tif")));
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => Ingest("relative/path.tif"));
        await Expect.StatusAsync(StatusCode.NotFound, () => Ingest(Path.Combine(_root, "missing.tif")));
        File.CreateSymbolicLink(Path.Combine(_root, "link.tif"), outside);
        await Expect.StatusAsync(StatusCode.PermissionDenied, () => Ingest(Path.Combine(_root, "link.tif")));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "g", Grid = grid, DatasetId = UnknownDataset }));
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "g",
            Grid = grid,
            ServerPath = new ServerPathSource { Path = inside },
            Bands = { new BandSpec { SourceBand = 1, Role = BandRole.Label, SourceIndex = 2 } },
        }));
        await Expect.StatusAsync(StatusCode.PermissionDenied, () => _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "g",
            Grid = grid,
            ServerPath = new ServerPathSource { Path = inside },
            AdditionalSources = { new RasterSource { ServerPath = outside } },
        }));

        // The sources are opened when the request arrives: a file that is not a raster is refused before a job is queued.
        DiscoException unreadable = await Expect.StatusAsync(StatusCode.InvalidArgument, () => Ingest(inside));
        Assert.Equal("server_path.path", Assert.Single(unreadable.FieldViolations).Field);
        Assert.Contains("'inside.tif' cannot be ingested", unreadable.Message, StringComparison.Ordinal);
        Assert.Empty(await ListJobsAsync());

        Task<Job> Ingest(string path) => _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "g", Grid = grid, ServerPath = new ServerPathSource { Path = path } });
    }

    [Fact]
    public async Task Training_and_job_calls_reject_wrong_ids_and_bad_requests()
    {
        string raw = (await _client.UploadFileAsync(Temp.File(_root, "raw.tif", 70_000, seed: 3))).Dataset.Id;
        string gridded = await GriddedDatasets.StoreAsync(_server, "gridded", new Grid { Kind = GridKind.Equiangular, Nlat = 19, Nlon = 36 }, new float[19 * 36]);
        var valid = new StartTrainingRequest { ModelName = "m", Datasets = { gridded }, Task = TrainingTask.Segmentation };

        DiscoException bad = await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.StartTrainingAsync(new StartTrainingRequest
        {
            ModelName = "",
            HyperParameters = new HyperParameters { Epochs = -1, LearningRate = -1, ValidationFraction = 1.5 },
            Device = "tpu",
        }));
        Assert.True(bad.FieldViolations.Count >= 5);
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.StartTrainingAsync(new StartTrainingRequest(valid) { Datasets = { UnknownDataset } }));
        await Expect.StatusAsync(StatusCode.FailedPrecondition, () => _client.StartTrainingAsync(new StartTrainingRequest { ModelName = "m", Datasets = { raw }, Task = TrainingTask.Segmentation }));
        DiscoException noLabels = await Expect.StatusAsync(StatusCode.FailedPrecondition, () => _client.StartTrainingAsync(valid));
        Assert.Contains("has no label band", noLabels.Message, StringComparison.Ordinal);

        await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.GetJobAsync("not-a-job"));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.GetJobAsync(UnknownJob));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.CancelJobAsync(UnknownJob));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.ResumeJobAsync(UnknownJob));
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.WaitForJobAsync("../job"));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.WaitForJobAsync(UnknownJob));
        await Expect.RawStatusAsync(StatusCode.InvalidArgument, async () => await _client.Stubs.Jobs.ListJobsAsync(new ListJobsRequest { PageToken = "nope" }));
        await Expect.RawStatusAsync(StatusCode.InvalidArgument, async () => await _client.Stubs.Jobs.ListJobsAsync(new ListJobsRequest { Kind = (JobKind)99 }));

        // A finished job can be neither cancelled nor resumed.
        Job verify = await _client.WaitForJobAsync((await _client.VerifyDatasetAsync(raw)).Id);
        Assert.Equal(JobState.Succeeded, verify.State);
        await Expect.StatusAsync(StatusCode.FailedPrecondition, () => _client.CancelJobAsync(verify.Id));
        await Expect.StatusAsync(StatusCode.FailedPrecondition, () => _client.ResumeJobAsync(verify.Id));
    }

    [Fact]
    public async Task Prediction_calls_and_tiles_reject_wrong_ids_and_bad_requests()
    {
        Model model = await _client.ImportModelAsync(Packages.Write(_root, "m.discomodel", seed: 4));
        string gridded = await GriddedDatasets.StoreAsync(_server, "g", new Grid { Kind = GridKind.Equiangular, Nlat = 19, Nlon = 36 }, new float[19 * 36]);
        string raw = (await _client.UploadFileAsync(Temp.File(_root, "photo.jpg", 70_000, seed: 5))).Dataset.Id;

        await Expect.StatusAsync(StatusCode.InvalidArgument, () => Drain(new PredictRequest { Model = model.Id }));
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => Drain(new PredictRequest { Model = model.Id, Dataset = gridded, RowsPerTile = -1, RotationAveraging = 1000 }));
        await Expect.StatusAsync(StatusCode.NotFound, () => Drain(new PredictRequest { Model = "nothing", Dataset = gridded }));
        await Expect.StatusAsync(StatusCode.NotFound, () => Drain(new PredictRequest { Model = model.Id, Dataset = UnknownDataset }));
        await Expect.StatusAsync(StatusCode.FailedPrecondition, () => Drain(new PredictRequest { Model = model.Id, Dataset = raw }));
        await Expect.StatusAsync(StatusCode.PermissionDenied, () => Drain(new PredictRequest { Model = model.Id, Raster = new RasterSource { ServerPath = "/etc/passwd" } }));
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => Drain(new PredictRequest { Model = model.Id, Panorama = new PanoramaSource { DatasetId = raw, YawDegrees = double.PositiveInfinity } }));
        DiscoException unreadable = await Expect.StatusAsync(StatusCode.InvalidArgument, () => Drain(new PredictRequest { Model = model.Id, Panorama = new PanoramaSource { DatasetId = raw } }));
        Assert.Contains("The panorama cannot be read", unreadable.Message, StringComparison.Ordinal);

        await Expect.StatusAsync(StatusCode.NotFound, () => _client.GetPredictionAsync("prd_01M88H4Z67HD4W5C06392PXC16"));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.DeletePredictionAsync("nothing"));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.ExportPredictionAsync("nothing", ExportFormat.Cog, Path.Combine(_root, "out.tif")));
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.ExportPredictionAsync("nothing", ExportFormat.Unspecified, Path.Combine(_root, "out.tif")));
        Assert.False(File.Exists(Path.Combine(_root, "out.tif")));

        Assert.Equal(HttpStatusCode.NotFound, (await _server.HttpGetAsync("/tiles/prd_01M88H4Z67HD4W5C06392PXC16/WebMercatorQuad/0/0/0.png")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.HttpGetAsync("/tiles/prd_01M88H4Z67HD4W5C06392PXC16/GoogleMapsCompatible/0/0/0.png")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.HttpGetAsync("/tiles/prd_01M88H4Z67HD4W5C06392PXC16/WebMercatorQuad/2/4/0.png")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.HttpGetAsync("/tiles/prd_01M88H4Z67HD4W5C06392PXC16/WorldCRS84Quad/30/0/0.png")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.HttpGetAsync("/tiles/prd_01M88H4Z67HD4W5C06392PXC16/WorldCRS84Quad/1/3/1.png")).StatusCode);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, await _client.CheckHealthAsync());
    }

    [Fact]
    public async Task Metrics_count_calls_by_method_and_code()
    {
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.GetDatasetAsync(UnknownDataset));
        await _client.CheckHealthAsync();
        using var response = await _server.HttpGetAsync("/metrics");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(1, Metrics.Value(text, "disco_grpc_requests_total{method=\"/disco.geo.v1.DatasetService/GetDataset\",code=\"NotFound\"}"));
        Assert.Equal(1, Metrics.Value(text, "disco_grpc_request_duration_seconds_count{method=\"/disco.geo.v1.DatasetService/GetDataset\"}"));
        Assert.Contains("disco_job_queue_depth{device=\"cpu\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("process_resident_memory_bytes ", text, StringComparison.Ordinal);
        Assert.Equal("SERVING\n", await (await _server.HttpGetAsync("/healthz")).Content.ReadAsStringAsync());
    }

    private async Task Drain(PredictRequest request)
    {
        await foreach (PredictResponse _ in _client.PredictAsync(request))
        {
        }
    }

    private async Task<List<Job>> ListJobsAsync()
    {
        var jobs = new List<Job>();
        await foreach (Job job in _client.ListJobsAsync())
        {
            jobs.Add(job);
        }

        return jobs;
    }
}

internal static class ClientExtensions
{
    public static Task<UploadStatus> GetUploadStatusAsyncRaw(this DiscoClient client, GetUploadStatusRequest request) =>
        client.UnaryAsync(o => client.Stubs.Datasets.GetUploadStatusAsync(request, o), CancellationToken.None);
}

using System.Reflection;
using Disco.Geo.Client.Tests.Infrastructure;
using Disco.Geo.Protos.V1;
using Grpc.Core;

namespace Disco.Geo.Client.Tests;

/// <summary>
/// DiscoClient is composed of its sub-clients: they are what it exposes, its flat methods are forwarders that put the
/// same calls on the wire, and no generated stub is public any more.
/// </summary>
public sealed class SubClientTests : IAsyncLifetime
{
    private ScriptedServer _server = null!;
    private readonly TestFiles _files = new();
    private DiscoClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await ScriptedServer.StartAsync();
        _client = _server.Client();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public void Each_service_has_one_sub_client_for_the_client_s_lifetime()
    {
        Assert.IsType<DatasetsClient>(_client.Datasets);
        Assert.IsType<JobsClient>(_client.Jobs);
        Assert.IsType<PredictionsClient>(_client.Predictions);
        Assert.IsType<ModelsClient>(_client.Models);
        Assert.Same(_client.Datasets, _client.Datasets);
        Assert.Same(_client.Jobs, _client.Jobs);
        Assert.Same(_client.Predictions, _client.Predictions);
        Assert.Same(_client.Models, _client.Models);

        using DiscoClient other = _server.Client();
        Assert.NotSame(_client.Datasets, other.Datasets);
    }

    [Fact]
    public void No_generated_stub_is_public_on_the_client_or_its_sub_clients()
    {
        Type[] types = [typeof(DiscoClient), typeof(DatasetsClient), typeof(JobsClient), typeof(PredictionsClient), typeof(ModelsClient)];
        foreach (Type type in types)
        {
            IEnumerable<Type> exposed = type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Select(p => p.PropertyType)
                .Concat(type.GetFields(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Select(f => f.FieldType));
            Assert.DoesNotContain(exposed, t => typeof(ClientBase).IsAssignableFrom(t));
            Assert.Empty(type.GetConstructors(BindingFlags.Public | BindingFlags.Instance));
        }
    }

    [Fact]
    public async Task Predict_without_a_request_id_sends_a_fresh_one_so_a_retry_is_recognisable()
    {
        var request = new PredictRequest { Model = "m" };

        await _client.Predictions.PredictAsync(request).ToListAsync();
        await _client.Predictions.PredictAsync(request).ToListAsync();
        List<string> calls = _server.TakeCalls();

        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Contains("\"requestId\": \"", c, StringComparison.Ordinal));
        Assert.NotEqual(calls[0], calls[1]);
        Assert.Empty(request.RequestId);
    }

    public static TheoryData<string> Pairs() => [.. ForwarderPairs.Keys];

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task A_flat_method_puts_the_same_calls_on_the_wire_as_its_sub_client_method(string name)
    {
        (Func<DiscoClient, Task<object>> flat, Func<DiscoClient, Task<object>> sub) = ForwarderPairs[name];

        object flatResult = await flat(_client);
        List<string> flatCalls = _server.TakeCalls();
        object subResult = await sub(_client);
        List<string> subCalls = _server.TakeCalls();

        Assert.NotEmpty(flatCalls);
        Assert.Equal(flatCalls, subCalls);
        Assert.Equal(flatResult, subResult);
    }

    [Fact]
    public async Task Flat_and_sub_client_uploads_reach_the_same_dataset()
    {
        string path = _files.Write("forwarded.bin", 3 * DiscoClientOptions.MinTransferChunkBytes + 17, seed: 3);

        UploadFileResponse first = await _client.UploadFileAsync(path, "forwarded");
        UploadFileResponse again = await _client.Datasets.UploadFileAsync(path, "forwarded");

        Assert.False(first.AlreadyExisted);
        Assert.True(again.AlreadyExisted);
        Assert.Equal(first.Dataset, again.Dataset);
        Assert.Equal(File.ReadAllBytes(path), _server.RawFiles["forwarded"]);
    }

    [Fact]
    public async Task The_flat_watch_and_the_jobs_sub_client_see_the_same_states()
    {
        List<Job> flat = await _client.WatchJobAsync("job_w").ToListAsync();
        List<Job> sub = await _client.Jobs.WatchAsync("job_w").ToListAsync();

        Assert.Equal([JobState.Running, JobState.Succeeded], flat.Select(j => j.State));
        Assert.Equal(flat, sub);
        Assert.Equal(JobState.Succeeded, (await _client.Jobs.WaitAsync("job_w")).State);
        Assert.True(DiscoClient.IsFinal(JobState.Interrupted) && JobsClient.IsFinal(JobState.Interrupted));
    }

    [Fact]
    public async Task Health_stays_on_the_client_and_uses_its_connection()
    {
        // The scripted server maps no health service, so the call must fail the way a real UNIMPLEMENTED does.
        DiscoException e = await Assert.ThrowsAsync<DiscoException>(() => _client.CheckHealthAsync());
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }

    // Unary and listing calls with a deterministic request: ingest and training get their request id from the test,
    // as a generated one would differ between the two calls.
    private static readonly Dictionary<string, (Func<DiscoClient, Task<object>> Flat, Func<DiscoClient, Task<object>> Sub)> ForwarderPairs = new()
    {
        ["GetDataset"] = (async c => await c.GetDatasetAsync("d"), async c => await c.Datasets.GetAsync("d")),
        ["ListDatasets"] = (async c => await c.ListDatasetsAsync(DatasetKind.Gridded, "p").ToListAsync(), async c => await c.Datasets.ListAsync(DatasetKind.Gridded, "p").ToListAsync()),
        ["DeleteDataset"] = (async c => await c.DeleteDatasetAsync("d"), async c => await c.Datasets.DeleteAsync("d")),
        ["VerifyDataset"] = (async c => await c.VerifyDatasetAsync("d"), async c => await c.Datasets.VerifyAsync("d")),
        ["IngestDataset"] = (async c => await c.IngestDatasetAsync(new IngestDatasetRequest { Name = "i", RequestId = "r1" }),
            async c => await c.Datasets.IngestAsync(new IngestDatasetRequest { Name = "i", RequestId = "r1" })),
        ["StartTraining"] = (async c => await c.StartTrainingAsync(new StartTrainingRequest { ModelName = "m", RequestId = "r2" }),
            async c => await c.Jobs.StartTrainingAsync(new StartTrainingRequest { ModelName = "m", RequestId = "r2" })),
        ["GetJob"] = (async c => await c.GetJobAsync("job_1"), async c => await c.Jobs.GetAsync("job_1")),
        ["CancelJob"] = (async c => await c.CancelJobAsync("job_1"), async c => await c.Jobs.CancelAsync("job_1")),
        ["ResumeJob"] = (async c => await c.ResumeJobAsync("job_1"), async c => await c.Jobs.ResumeAsync("job_1")),
        ["ListJobs"] = (async c => await c.ListJobsAsync(JobKind.Training, JobState.Running).ToListAsync(),
            async c => await c.Jobs.ListAsync(JobKind.Training, JobState.Running).ToListAsync()),
        ["GetModel"] = (async c => await c.GetModelAsync("m"), async c => await c.Models.GetAsync("m")),
        ["ListModels"] = (async c => await c.ListModelsAsync("m").ToListAsync(), async c => await c.Models.ListAsync("m").ToListAsync()),
        ["DeleteModel"] = (async c => await c.DeleteModelAsync("m"), async c => await c.Models.DeleteAsync("m")),
        ["VerifyModel"] = (async c => await c.VerifyModelAsync("m"), async c => await c.Models.VerifyAsync("m")),
        ["GetPrediction"] = (async c => await c.GetPredictionAsync("prd_1"), async c => await c.Predictions.GetAsync("prd_1")),
        ["ListPredictions"] = (async c => await c.ListPredictionsAsync("mdl_1", "r").ToListAsync(), async c => await c.Predictions.ListAsync("mdl_1", "r").ToListAsync()),
        ["DeletePrediction"] = (async c => await c.DeletePredictionAsync("prd_1"), async c => await c.Predictions.DeleteAsync("prd_1")),
        ["Predict"] = (async c => await c.PredictAsync(new PredictRequest { Model = "m", RequestId = "r3" }).ToListAsync(),
            async c => await c.Predictions.PredictAsync(new PredictRequest { Model = "m", RequestId = "r3" }).ToListAsync()),
    };
}

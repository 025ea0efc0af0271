using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests.EndToEnd;

/// <summary>
/// One real server with one real training run shared by the end-to-end tests of a class: two analytic datasets
/// ingested by GDAL onto a 17×32 grid for training, a third for validation, and a tiny DISCO U-Net trained on them
/// through the typed client while every watch event is recorded.
/// </summary>
public sealed class TrainedModelFixture : IAsyncLifetime
{
    internal TestServer Server { get; private set; } = null!;

    public DiscoClient Client { get; private set; } = null!;

    public string Files { get; private set; } = null!;

    public Dataset Training { get; private set; } = null!;

    public Dataset Validation { get; private set; } = null!;

    public Job Job { get; private set; } = null!;

    public Model Model { get; private set; } = null!;

    public List<Job> Events { get; } = [];

    public async Task InitializeAsync()
    {
        Files = Temp.Directory("e2e");
        Server = await TestServer.StartAsync([$"--import-root={Files}"]);
        Client = Server.Client();
        Training = await TinyTraining.IngestAsync(Client, TinyTraining.WriteLabelledGeoTiff(Path.Combine(Files, "train.tif")), "train", TinyTraining.Grid17);
        Dataset shifted = await TinyTraining.IngestAsync(Client, TinyTraining.WriteLabelledGeoTiff(Path.Combine(Files, "train2.tif"), shift: 90), "train2", TinyTraining.Grid17);
        Validation = await TinyTraining.IngestAsync(Client, TinyTraining.WriteLabelledGeoTiff(Path.Combine(Files, "valid.tif"), shift: 45), "valid", TinyTraining.Grid17);

        StartTrainingRequest request = TinyTraining.Request("tiny-land", [Training.Name, shifted.Name], epochs: 15);
        request.ValidationDatasets.Add(Validation.Name);
        Job job = await Client.StartTrainingAsync(request);
        await foreach (Job seen in Client.WatchJobAsync(job.Id))
        {
            Events.Add(seen);
        }

        Job = Events[^1];
        Assert.True(Job.State == JobState.Succeeded, $"training failed: {Job.Error}");
        Model = await Client.GetModelAsync(Job.Result.ModelId);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Temp.Delete(Files);
    }
}

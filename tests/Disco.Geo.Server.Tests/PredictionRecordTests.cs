using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Disco.Geo.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// A Predict call's prediction record names its job before the job exists, and the call does not save it again. It
/// used to save it a second time after submitting the job, to add the job id: a job that had already finished (its own
/// save made the record succeeded, with its map) was then overwritten by that stale copy — pending and without a map,
/// while the client had received the whole map. Seen in the three-replica test, where another replica's claim loop can
/// run a small prediction faster than the call returns.
/// </summary>
public sealed class PredictionRecordTests : IAsyncLifetime
{
    private readonly string _files = Temp.Directory("prediction-record");
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(replaceServices: services =>
        {
            // The server's own catalog, wrapped so that a late save of a pending record waits for its job to end.
            ServiceDescriptor own = services.Last(d => d.ServiceType == typeof(ICatalog));
            services.AddSingleton<ICatalog>(provider => new LateSaveCatalog(
                (ICatalog)ActivatorUtilities.CreateInstance(provider, own.ImplementationType!), provider.GetRequiredService<IJobStore>(), provider.GetRequiredService<JobHub>()));
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Temp.Delete(_files);
    }

    [Fact]
    public async Task A_prediction_whose_job_ends_before_the_call_returns_stays_succeeded_with_its_map()
    {
        using DiscoClient client = _server.Client();
        Model model = await client.ImportModelAsync(Packages.Write(_files, "m.discomodel", seed: 3));
        string dataset = await GriddedDatasets.StoreAsync(_server, "g", new Grid { Kind = GridKind.Equiangular, Nlat = 19, Nlon = 36 }, new float[19 * 36]);

        string? predictionId = null;
        bool summary = false;
        using var guard = new CancellationTokenSource(Eventually.Guard);
        await foreach (PredictResponse message in client.PredictAsync(new PredictRequest { Model = model.Id, Dataset = dataset, RequestId = "once" }).WithCancellation(guard.Token))
        {
            predictionId ??= message.Prediction?.Id;
            summary |= message.MessageCase == PredictResponse.MessageOneofCase.Summary;
        }

        Assert.True(summary);
        Prediction stored = await client.GetPredictionAsync(predictionId!);
        Assert.Equal(PredictionState.Succeeded, stored.State);
        Assert.False(string.IsNullOrEmpty(stored.Blob?.Sha256), "the finished prediction keeps its map");
        Job job = await client.GetJobAsync(stored.JobId);
        Assert.Equal(JobState.Succeeded, job.State);
    }

    /// <summary>
    /// A real catalog whose saves of a pending prediction naming an existing, unfinished job wait until that job has
    /// ended: the moment at which a stale copy would overwrite the job's own save of the finished prediction.
    /// </summary>
    private sealed class LateSaveCatalog(ICatalog inner, IJobStore jobs, JobHub hub) : ICatalog
    {
        public async Task SavePredictionAsync(PredictionRecord prediction, CancellationToken cancellationToken)
        {
            if (prediction.State == PredictionRecordState.Pending && prediction.JobId.Length > 0
                && await jobs.GetAsync(prediction.JobId, cancellationToken) is { } job && !JobHub.IsFinal(job.State)
                && hub.Watch(job.Id, cancellationToken) is { } live)
            {
                await foreach (JobRecord _ in live.WithCancellation(cancellationToken))
                {
                }
            }

            await inner.SavePredictionAsync(prediction, cancellationToken);
        }

        public Task<DatasetRecord?> FindDatasetAsync(string reference, CancellationToken cancellationToken) => inner.FindDatasetAsync(reference, cancellationToken);

        public Task<ModelRecord?> FindModelAsync(string reference, CancellationToken cancellationToken) => inner.FindModelAsync(reference, cancellationToken);

        public Task<PredictionRecord?> FindPredictionAsync(string reference, CancellationToken cancellationToken) => inner.FindPredictionAsync(reference, cancellationToken);

        public Task<RecordPage<DatasetRecord>> ListDatasetsAsync(CatalogQuery query, CancellationToken cancellationToken) => inner.ListDatasetsAsync(query, cancellationToken);

        public Task<RecordPage<ModelRecord>> ListModelsAsync(CatalogQuery query, CancellationToken cancellationToken) => inner.ListModelsAsync(query, cancellationToken);

        public Task<RecordPage<PredictionRecord>> ListPredictionsAsync(CatalogQuery query, CancellationToken cancellationToken) => inner.ListPredictionsAsync(query, cancellationToken);

        public Task<bool> TryInsertDatasetAsync(DatasetRecord dataset, CancellationToken cancellationToken) => inner.TryInsertDatasetAsync(dataset, cancellationToken);

        public Task<bool> TryInsertModelAsync(ModelRecord model, CancellationToken cancellationToken) => inner.TryInsertModelAsync(model, cancellationToken);

        public Task<long?> DeleteDatasetAsync(string id, CancellationToken cancellationToken) => inner.DeleteDatasetAsync(id, cancellationToken);

        public Task<long?> DeleteModelAsync(string id, CancellationToken cancellationToken) => inner.DeleteModelAsync(id, cancellationToken);

        public Task<long?> DeletePredictionAsync(string id, CancellationToken cancellationToken) => inner.DeletePredictionAsync(id, cancellationToken);
    }
}

using Disco.Geo.Client;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// Small real training data and requests: a global GeoTIFF whose band 1 is the analytic field
/// <see cref="AnalyticField.F"/> and band 2 a land/water-like label (1 where F exceeds a threshold), ingested with the
/// real ingest engine onto a tiny grid, and a tiny DISCO U-Net that trains in a second or two.
/// </summary>
internal static class TinyTraining
{
    public static readonly Grid Grid17 = new() { Kind = GridKind.Equiangular, Nlat = 17, Nlon = 32, LonOriginDegrees = -180 };

    public static readonly Grid Grid9 = new() { Kind = GridKind.Equiangular, Nlat = 9, Nlon = 16, LonOriginDegrees = -180 };

    /// <summary>Band 1: F; band 2: 1 where F &gt; threshold, else 0 (about half the sphere at 10.5).</summary>
    public static string WriteLabelledGeoTiff(string path, int width = 128, int height = 64, double threshold = 10.5, double shift = 0) =>
        GlobalGeoTiff.Write(path, width, height,
        [
            (lat, lon) => AnalyticField.F(lat, lon + shift),
            (lat, lon) => AnalyticField.F(lat, lon + shift) > threshold ? 1 : 0,
        ]);

    /// <summary>Band 1 of <see cref="WriteLabelledGeoTiff"/> only: what a model trained on it reads.</summary>
    public static string WriteInputGeoTiff(string path, int width = 128, int height = 64) => TestRasters.WriteAnalyticGeoTiff(path, width, height);

    /// <summary>Ingests band 1 as input and band 2 as label (mode) through the API and waits for the dataset.</summary>
    public static async Task<Dataset> IngestAsync(DiscoClient client, string path, string name, Grid grid, bool withLabels = true)
    {
        string raw = (await client.UploadFileAsync(path, name + "-raw")).Dataset.Id;
        var request = new IngestDatasetRequest
        {
            Name = name,
            DatasetId = raw,
            Grid = grid,
            Bands = { new BandSpec { SourceBand = 1, Role = BandRole.Input, Name = "f" } },
        };
        if (withLabels)
        {
            request.Bands.Add(new BandSpec { SourceBand = 2, Role = BandRole.Label, Name = "above" });
        }

        Job job = await client.WaitForJobAsync((await client.IngestDatasetAsync(request)).Id);
        Assert.True(job.State == JobState.Succeeded, $"ingest failed: {job.Error}");
        return await client.GetDatasetAsync(job.Result.DatasetId);
    }

    /// <summary>A two-level U-Net with 4 base channels: a few thousand parameters.</summary>
    public static StartTrainingRequest Request(string modelName, IEnumerable<string> datasets, int epochs, long seed = 7, int checkpointEvery = 0) => new()
    {
        ModelName = modelName,
        Datasets = { datasets },
        Task = TrainingTask.Segmentation,
        Model = new ModelConfig { Levels = 2, BaseChannels = 4, ClassNames = { "water", "land" } },
        HyperParameters = new HyperParameters { Epochs = epochs, BatchSize = 1, LearningRate = 0.01, Seed = seed, CheckpointEverySteps = checkpointEvery },
    };

    /// <summary>Waits for a job to reach a final state within <paramref name="timeout"/>.</summary>
    public static async Task<Job> FinishAsync(DiscoClient client, string jobId, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        return await client.WaitForJobAsync(jobId, null, deadline.Token);
    }

    /// <summary>Watches a job until <paramref name="condition"/> holds for an event; returns that event.</summary>
    public static async Task<Job> WaitUntilAsync(DiscoClient client, string jobId, Func<Job, bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        await foreach (Job job in client.WatchJobAsync(jobId, deadline.Token))
        {
            if (condition(job))
            {
                return job;
            }

            if (DiscoClient.IsFinal(job.State))
            {
                throw new InvalidOperationException($"Job {jobId} ended {job.State} before the condition held: {job.Error}");
            }
        }

        throw new InvalidOperationException($"The watch of job {jobId} ended before the condition held.");
    }
}

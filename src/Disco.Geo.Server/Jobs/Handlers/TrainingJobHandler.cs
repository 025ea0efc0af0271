using Disco.Geo.Engine;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using StatusCode = Disco.Geo.Server.Problems.ProblemKind;

namespace Disco.Geo.Server.Jobs.Handlers;

/// <summary>Runs <see cref="ITrainingEngine"/> and stores the package it writes as a model.</summary>
internal sealed class TrainingJobHandler(
    ITrainingEngine engine, ICatalog catalog, IBlobStore blobs, IModelCardReader cards, IJobSpecReader specs, IOptions<JobsOptions> options) : IJobHandler
{
    public JobRecordKind Kind => JobRecordKind.Training;

    public bool Exclusive => options.Value.ExclusiveTraining;

    public async Task<JobResultRecord> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        TrainingJobSpec request = specs.ReadTraining(context.Spec);
        var training = new List<GriddedDataset>();
        foreach (string id in request.Datasets)
        {
            training.Add(await GriddedAsync(catalog, blobs, id, cancellationToken));
        }

        var validation = new List<GriddedDataset>();
        foreach (string id in request.ValidationDatasets)
        {
            validation.Add(await GriddedAsync(catalog, blobs, id, cancellationToken));
        }

        string packagePath = Path.Combine(context.WorkingDirectory, "model.package");
        try
        {
            await engine.TrainAsync(
                new TrainingWork(context.JobId, request.Request.Value, training, validation, context.WorkingDirectory, context.Attempt, packagePath),
                new EngineProgressAdapter(context), cancellationToken);
        }
        catch (EngineInputException e)
        {
            throw new JobFailedException(StatusCode.InvalidArgument, e.Message);
        }
        catch (EngineStateException e)
        {
            throw EngineFailures.ToJobFailure(e);
        }

        if (!File.Exists(packagePath))
        {
            throw new JobFailedException(StatusCode.Internal, "The training engine finished without writing the model package.");
        }

        ModelCardJson card;
        try
        {
            card = await cards.ReadAsync(packagePath, cancellationToken);
        }
        catch (EngineInputException e)
        {
            throw new JobFailedException(StatusCode.Internal, "The training engine wrote an unreadable package: " + e.Message);
        }

        var model = new ModelRecord { Id = Ids.OutputOf(Ids.Model, context.JobId), Name = request.ModelName, JobId = context.JobId, CreateTime = Timestamp.FromDateTime(DateTime.UtcNow) };
        EngineRecords.ApplyCard(model, card);
        await context.EnsureLeaseAsync(cancellationToken);
        await StoredRecords.CommitModelAsync(catalog, blobs, packagePath, model, cancellationToken);
        Directory.Delete(context.WorkingDirectory, recursive: true);
        return new JobResultRecord { ModelId = model.Id };
    }

    /// <summary>A gridded dataset as the engines see it.</summary>
    /// <exception cref="EngineInputException">The dataset's stored grid cannot be built.</exception>
    public static async Task<GriddedDataset> GriddedAsync(ICatalog catalog, IBlobStore blobs, string id, CancellationToken cancellationToken)
    {
        DatasetRecord dataset = await catalog.FindDatasetAsync(id, cancellationToken)
            ?? throw new JobFailedException(StatusCode.NotFound, $"Dataset {id} was deleted before the job could read it.");
        return new GriddedDataset(dataset.Id, blobs.PathOf(dataset.Blob.Sha256), EngineRecords.ToSphereGrid(dataset.Grid), EngineRecords.ToEngine(dataset.Bands))
        {
            TimeSteps = [.. dataset.TimeSteps.Select(t => t.ToDateTime())],
        };
    }
}

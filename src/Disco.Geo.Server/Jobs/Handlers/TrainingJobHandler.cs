using Disco.Geo.Engine;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Hosting;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Storage;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using StatusCode = Disco.Geo.Server.Problems.ProblemKind;

namespace Disco.Geo.Server.Jobs.Handlers;

/// <summary>Runs <see cref="ITrainingEngine"/> and stores the package it writes as a model.</summary>
internal sealed class TrainingJobHandler(ITrainingEngine engine, Catalog catalog, BlobStore blobs, IModelCardReader cards, IOptions<JobsOptions> options) : IJobHandler
{
    public JobKind Kind => JobKind.Training;

    public bool Exclusive => options.Value.ExclusiveTraining;

    public async Task<JobResult> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        StartTrainingRequest request = Any.Parser.ParseFrom(context.Spec).Unpack<StartTrainingRequest>();
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
                new TrainingWork(context.JobId, TrainingMapping.ToEngine(request), training, validation, context.WorkingDirectory, context.Attempt, packagePath),
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

        var model = new Model { Id = Ids.New(Ids.Model), Name = request.ModelName, JobId = context.JobId, CreateTime = Timestamp.FromDateTime(DateTime.UtcNow) };
        ModelCardMapping.ApplyCard(model, card);
        await StoredRecords.CommitModelAsync(catalog, blobs, packagePath, model, cancellationToken);
        Directory.Delete(context.WorkingDirectory, recursive: true);
        return new JobResult { ModelId = model.Id };
    }

    /// <summary>A gridded dataset as the engines see it.</summary>
    public static async Task<GriddedDataset> GriddedAsync(Catalog catalog, BlobStore blobs, string id, CancellationToken cancellationToken)
    {
        Dataset dataset = await catalog.FindAsync(catalog.Datasets, Ids.Dataset, id, cancellationToken)
            ?? throw new JobFailedException(StatusCode.NotFound, $"Dataset {id} was deleted before the job could read it.");
        return new GriddedDataset(dataset.Id, blobs.PathOf(dataset.Blob.Sha256), GridMapping.ToSphereGrid(dataset.Grid), BandMapping.ToEngine(dataset.Bands));
    }
}

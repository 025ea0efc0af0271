using Disco.Geo.Engine;
using Disco.Geo.Engine.Prediction;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Jobs.Handlers;
using Disco.Geo.Server.Jobs.Sources;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Application.Predictions;

/// <summary>
/// A checked Predict call: the model and input as the client named them, the settings that decide the result, and the
/// prediction's name, request id and priority. An input of kind <see cref="PredictionInputKind.None"/> is a raster that
/// names neither an upload nor a server path (a request without any input never gets here).
/// </summary>
internal sealed record PredictOrder(string Model, PredictionInputSpec Input, PredictionSettings Settings, string Name, string RequestId, int Priority);

/// <summary>How a Predict call goes on: replaying a finished prediction, or following a new one.</summary>
internal abstract record PredictStart(PredictionRecord Prediction);

/// <summary>The request id names a prediction that has finished: the call sends it again, tiles included.</summary>
internal sealed record PredictReplay(PredictionRecord Prediction) : PredictStart(Prediction);

/// <summary>A new prediction, its queued job and the stream its rows arrive on; the caller detaches the stream when it ends.</summary>
internal sealed record PredictRun(PredictionRecord Prediction, JobRecord Job, PredictionStream Stream) : PredictStart(Prediction);

/// <summary>
/// The Predict call's work between the wire and the job: resolving the model and input names, refusing a dataset on
/// another grid than the model's, replaying a request id that already has a finished prediction (and refusing one
/// reused for a different request), refusing inputs outside their sandbox, and saving the prediction and submitting
/// its job. The service only validates the request, maps it here and writes what comes back; the job spec stays the
/// v1 request (the service builds it from the resolved names), as every stored job spec is.
/// </summary>
internal sealed class PredictionRequests(
    ICatalog catalog,
    IBlobStore blobs,
    IJobStore jobs,
    JobRunner runner,
    JobHub hub,
    PredictionStreams streams,
    ImportRoots importRoots,
    SourceSandboxes sandboxes,
    IJobSpecReader specs,
    IIngestEngine ingestEngine,
    IJobChangeFeed changes,
    IOptions<JobsOptions> jobOptions,
    ILogger<PredictionRequests> logger)
{
    /// <summary>
    /// Starts <paramref name="order"/>: a replay, or a new prediction whose job is queued. <paramref name="specOf"/>
    /// turns the resolved request (model and input by id, server path resolved) into the job's stored spec.
    /// </summary>
    public async Task<PredictStart> StartAsync(PredictOrder order, Func<PredictionJobSpec, IJobSpec> specOf, CancellationToken cancellationToken)
    {
        ModelRecord model = await catalog.FindModelAsync(order.Model, cancellationToken) ?? throw Problem.NotFound("model", order.Model);
        var inputs = new List<string> { model.Id };
        PredictionSettings settings = order.Settings;
        if (settings.Leveller.Length > 0)
        {
            ModelRecord leveller = await ResolveLevellerAsync(settings, model, cancellationToken);
            inputs.Add(leveller.Id);
            settings = settings with { Leveller = leveller.Id };
        }

        (PredictionInputSpec input, string inputDescription) = await ResolveInputAsync(order.Input, model, inputs, cancellationToken);
        var resolved = new PredictionJobSpec(model.Id, input, settings, settings.RowsPerTile);

        if (order.RequestId.Length > 0)
        {
            (IReadOnlyList<PredictionRecord> earlier, _) = await catalog.ListPredictionsAsync(
                new CatalogQuery(null, PageTokens.DefaultPageSize) { RequestId = order.RequestId }, cancellationToken);
            foreach (PredictionRecord previous in earlier)
            {
                await ThrowIfAnotherRequestAsync(previous, resolved, order.RequestId, cancellationToken);
            }

            // A retried or repeated request gets the finished prediction again: the client cannot tell a replay from
            // a first run and must not lose the map it streams.
            if (earlier.LastOrDefault(p => p.State == PredictionRecordState.Succeeded) is { } done)
            {
                return new PredictReplay(done);
            }

            // A retry of a request that is still being answered (here, or on a replica that may have died under it):
            // follow that prediction rather than run the model twice under one request id.
            if (earlier.LastOrDefault(p => p.State == PredictionRecordState.Pending && p.JobId.Length > 0) is { } unfinished
                && await FollowUnfinishedAsync(unfinished, cancellationToken) is { } followed)
            {
                return followed;
            }
        }

        // A raster or photo that refers to files outside what it may read is refused before a job exists.
        await ThrowIfInputEscapesAsync(input, cancellationToken);
        await ThrowIfBoundsMisplacedAsync(input, cancellationToken);

        // The record names its job before the job exists: the job may run and save the finished prediction before
        // SubmitAsync returns here, and a save of this copy after that would put the record back to pending without its
        // map (seen in the three-replica test: a client held the whole map, the record stayed pending).
        string jobId = Ids.New(Ids.Job);
        var prediction = new PredictionRecord
        {
            Id = Ids.New(Ids.Prediction),
            JobId = jobId,
            Name = order.Name.Length > 0 ? order.Name : $"{model.Name}-on-{inputDescription.Split(' ')[^1]}",
            ModelId = model.Id,
            InputDescription = inputDescription,
            State = PredictionRecordState.Pending,
            RequestId = order.RequestId,
            CreateTime = Timestamp.FromDateTime(DateTime.UtcNow),
        };
        PredictionStream stream = streams.Attach(prediction.Id);
        try
        {
            await catalog.SavePredictionAsync(prediction, cancellationToken);
            JobRecord job = await runner.SubmitAsync(new JobSubmission(
                JobRecordKind.Prediction, specOf(resolved), jobOptions.Value.DefaultDevice, order.Priority, $"predict with '{model.Name}' on {inputDescription}",
                order.RequestId.Length > 0 ? "predict:" + order.RequestId + ":" + prediction.Id : null, inputs,
                new JobResultRecord { PredictionId = prediction.Id }, JobId: jobId), cancellationToken);
            return new PredictRun(prediction, job, stream);
        }
        catch
        {
            stream.Detach();
            throw;
        }
    }

    /// <summary>
    /// The leveller named by <paramref name="settings"/>, refused at the RPC when it is missing or cannot level
    /// <paramref name="model"/> (not isotropic, no ceiling and floor classes, another grid; see <see cref="Levelling"/>).
    /// </summary>
    private async Task<ModelRecord> ResolveLevellerAsync(PredictionSettings settings, ModelRecord model, CancellationToken cancellationToken)
    {
        ModelRecord leveller = await catalog.FindModelAsync(settings.Leveller, cancellationToken) ?? throw Problem.NotFound("model", settings.Leveller);
        string? problem = Levelling.Check(
            new ModelCardJson(leveller.FormatVersion, leveller.CardJson), leveller.Name, new ModelCardJson(model.FormatVersion, model.CardJson), model.Name, settings.LevelRefinements);
        return problem is null ? leveller : throw Problem.InvalidArgument("level_with", problem);
    }

    /// <summary>
    /// Follows a prediction an earlier call with the same request id started. While the replica it is pinned to is
    /// alive (its liveness, renewed every heartbeat, has not expired on the store's clock), queued or running, the call
    /// waits for the job to end, then replays the finished prediction: the first call may still be attached there and
    /// must get its rows. Once that replica is gone (its liveness and any lease on the job expired) this replica takes
    /// the job over: it re-pins the job to itself, atomically against other replicas doing the same (one wins, the
    /// others follow it), and claims it as a new attempt, which fences out the old holder's writes, and the rows stream
    /// to this call. Null when the earlier prediction ended without a map (a new prediction is run, as for any failed
    /// request, an abandoned one included).
    /// </summary>
    private async Task<PredictStart?> FollowUnfinishedAsync(PredictionRecord unfinished, CancellationToken cancellationToken)
    {
        string? followed = null;
        while (true)
        {
            JobRecord? job = await jobs.GetAsync(unfinished.JobId, cancellationToken);
            if (job is null || JobHub.IsFinal(job.State))
            {
                PredictionRecord? now = await catalog.FindPredictionAsync(unfinished.Id, cancellationToken);
                return now is { State: PredictionRecordState.Succeeded } ? new PredictReplay(now) : null;
            }

            string pinned = job.PinnedReplica;
            // A stream already attached here belongs to a call following this run on this replica: the job is live here.
            if (streams.Get(unfinished.Id) is null)
            {
                PredictionStream stream = streams.Attach(unfinished.Id);
                string previous = pinned;
                job.PinnedReplica = runner.ReplicaId;
                bool repinned;
                try
                {
                    repinned = await jobs.TryRepinAsync(job, previous, cancellationToken);
                }
                catch
                {
                    stream.Detach();
                    throw;
                }

                if (repinned)
                {
                    runner.Wake();
                    return new PredictRun(unfinished, job, stream);
                }

                stream.Detach();
            }

            if (followed != pinned && pinned != runner.ReplicaId)
            {
                followed = pinned;
                logger.LogInformation("Predict request {RequestId} follows prediction {PredictionId}: its job {JobId} stays with live replica {Replica}",
                    unfinished.RequestId, unfinished.Id, job.Id, followed);
            }

            await changes.WaitForChangeAsync(job.Id, cancellationToken);
        }
    }

    /// <summary>
    /// Waits for the job's final state and throws its error when it failed. The prediction stream ends as soon as the
    /// handler is done, a moment before the runner records the outcome, so reading the store right away could see the
    /// job still running and report a failed prediction as OK; the hub's watch ends exactly at the final state (and
    /// once it is gone, the store has it).
    /// </summary>
    public async Task ThrowIfFailedAsync(JobRecord job, CancellationToken cancellationToken)
    {
        JobRecord final = job;
        if (hub.Watch(job.Id, cancellationToken) is { } live)
        {
            await foreach (JobRecord state in live)
            {
                final = state;
            }
        }
        else
        {
            final = await jobs.GetAsync(job.Id, cancellationToken) ?? final;
        }

        if (final.State == JobRecordState.Failed && final.Error is { } error)
        {
            throw new ProblemException((ProblemKind)error.Code, error.Message);
        }
    }

    /// <summary>The input by id (server paths resolved under the import roots) and how the prediction describes it; its dataset joins <paramref name="inputs"/>.</summary>
    private async Task<(PredictionInputSpec Input, string Description)> ResolveInputAsync(
        PredictionInputSpec input, ModelRecord model, List<string> inputs, CancellationToken cancellationToken)
    {
        switch (input.Kind)
        {
            case PredictionInputKind.Dataset:
                DatasetRecord gridded = await DatasetAsync("dataset", input.Reference, DatasetRecordKind.Gridded, cancellationToken);
                if (model.Grid is { Nlat: > 0 } modelGrid && !modelGrid.Equals(gridded.Grid))
                {
                    throw Problem.InvalidArgument("dataset",
                        $"dataset '{gridded.Name}' is on {Describe(gridded.Grid)} but model '{model.Name}' runs on {Describe(modelGrid)}; " +
                        "ingest the source onto the model's grid, or predict on the raster itself (raster input is resampled for you).");
                }

                inputs.Add(gridded.Id);
                return (input with { Reference = gridded.Id }, $"dataset {gridded.Name}");
            case PredictionInputKind.ServerPath:
                string path = importRoots.Resolve("raster.server_path", input.Reference);
                return (input with { Reference = path }, $"raster {path}");
            case PredictionInputKind.UploadedRaster:
                DatasetRecord raster = await DatasetAsync("raster.dataset_id", input.Reference, DatasetRecordKind.RawFile, cancellationToken);
                inputs.Add(raster.Id);
                return (input with { Reference = raster.Id }, $"raster {raster.Name}");
            case PredictionInputKind.Panorama:
                DatasetRecord photo = await DatasetAsync("panorama.dataset_id", input.Reference, DatasetRecordKind.RawFile, cancellationToken);
                inputs.Add(photo.Id);
                return (input with { Reference = photo.Id }, $"panorama {photo.Name}");
            default:
                throw Problem.InvalidArgument("raster", "needs dataset_id or server_path.");
        }
    }

    /// <summary>
    /// A request id names one request: replaying it for another model, input or output would hand back a map of
    /// something else. The earlier request is the spec its job stored (model, dataset and server path resolved, like
    /// <paramref name="resolved"/>), compared on what decides the result.
    /// </summary>
    private async Task ThrowIfAnotherRequestAsync(PredictionRecord previous, PredictionJobSpec resolved, string requestId, CancellationToken cancellationToken)
    {
        List<string> differences;
        if (previous.JobId.Length > 0 && specs.TryReadPrediction(await jobs.GetSpecAsync(previous.JobId, cancellationToken)) is { } earlier)
        {
            differences = ResultDefiningDifferences(earlier, resolved);
        }
        else
        {
            // No job was recorded (the server stopped between saving the prediction and queuing its job): the model is all that is known.
            differences = previous.ModelId == resolved.Model ? [] : ["model"];
        }

        if (differences.Count > 0)
        {
            throw Problem.Conflict("prediction request_id", requestId,
                $"request_id '{ClientText.Shorten(requestId)}' was already used for prediction {previous.Id} ({previous.InputDescription}); " +
                $"this request has a different {string.Join(", ", differences)}. Use a new request_id for a different request; " +
                "the same request_id returns the same prediction only for the same request.");
        }
    }

    /// <summary>The fields that decide a prediction's result and differ between two resolved specs (names, priority and streaming do not).</summary>
    internal static List<string> ResultDefiningDifferences(PredictionJobSpec earlier, PredictionJobSpec later)
    {
        var differences = new List<string>();
        if (earlier.Model != later.Model)
        {
            differences.Add("model");
        }

        if (earlier.Input != later.Input)
        {
            differences.Add("input");
        }

        if (earlier.Settings.Probabilities != later.Settings.Probabilities)
        {
            differences.Add("output");
        }

        // 0 and 1 both mean a single pass.
        if (Math.Max(1, earlier.Settings.RotationAveraging) != Math.Max(1, later.Settings.RotationAveraging))
        {
            differences.Add("rotation_averaging");
        }

        if (earlier.Settings.Leveller != later.Settings.Leveller)
        {
            differences.Add("level_with");
        }

        if (earlier.Settings.LevelRefinements != later.Settings.LevelRefinements)
        {
            differences.Add("level_refinements");
        }

        return differences;
    }

    /// <summary>At the RPC: a raster or panorama input (upload or resolved server path) is opened through its sandbox, as for ingest.</summary>
    private async Task ThrowIfInputEscapesAsync(PredictionInputSpec input, CancellationToken cancellationToken)
    {
        switch (input.Kind)
        {
            case PredictionInputKind.ServerPath:
                await sandboxes.ThrowIfPathEscapesAsync("The raster", input.Reference, cancellationToken);
                break;
            case PredictionInputKind.UploadedRaster:
                await ThrowIfUploadEscapesAsync("The raster", input.Reference, cancellationToken);
                break;
            case PredictionInputKind.Panorama:
                await ThrowIfUploadEscapesAsync("The panorama", input.Reference, cancellationToken);
                break;
        }
    }

    /// <summary>
    /// At the RPC: bounds place only an image without georeferencing. The raster is classified as its job's ingest
    /// will classify it, so a georeferenced file (or vector layer) with bounds is refused before a job exists.
    /// </summary>
    private async Task ThrowIfBoundsMisplacedAsync(PredictionInputSpec input, CancellationToken cancellationToken)
    {
        if (input.Bounds is null || input.Kind is not (PredictionInputKind.ServerPath or PredictionInputKind.UploadedRaster))
        {
            return;
        }

        IngestSourceFiles files;
        if (input.Kind == PredictionInputKind.ServerPath)
        {
            files = new IngestSourceFiles([input.Reference], sandboxes.ForServerPaths()) { Bounds = input.Bounds };
        }
        else if (await catalog.FindDatasetAsync(input.Reference, cancellationToken) is { Kind: DatasetRecordKind.RawFile } upload)
        {
            string blob = blobs.PathOf(upload.Blob.Sha256);
            files = new IngestSourceFiles([blob], SourceSandboxes.ForUpload(blob), IngestJobHandler.UploadName(upload)) { Bounds = input.Bounds };
        }
        else
        {
            return;
        }

        try
        {
            // Only the classification matters here: any grid does, and the size limits are the job's to apply.
            await ingestEngine.InspectAsync(new IngestWork([files], BoundsCheckGrid, [], long.MaxValue), cancellationToken);
        }
        catch (EngineInputException e) when (e.Field == "bounds")
        {
            throw Problem.InvalidArgument("raster.bounds", e.Message);
        }
        catch (Exception e) when (e is EngineInputException or EngineAccessDeniedException)
        {
            // Anything else wrong with the file is the job's to report in full, as without bounds.
        }
    }

    private static readonly Grids.SphereGrid BoundsCheckGrid = Grids.SphereGrid.Create(Grids.GridKind.Equiangular, 19, 36);

    private async Task ThrowIfUploadEscapesAsync(string subject, string datasetId, CancellationToken cancellationToken)
    {
        if (await catalog.FindDatasetAsync(datasetId, cancellationToken) is { Kind: DatasetRecordKind.RawFile } upload)
        {
            await sandboxes.ThrowIfUploadEscapesAsync(subject, blobs.PathOf(upload.Blob.Sha256), IngestJobHandler.UploadName(upload), cancellationToken);
        }
    }

    private async Task<DatasetRecord> DatasetAsync(string field, string reference, DatasetRecordKind kind, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(reference))
        {
            throw Problem.InvalidArgument(field, "is required: a dataset id (ds_...) or name.");
        }

        DatasetRecord dataset = await catalog.FindDatasetAsync(reference, cancellationToken) ?? throw Problem.NotFound("dataset", reference);
        if (dataset.Kind != kind)
        {
            throw Problem.FailedPrecondition("DATASET_KIND", dataset.Id, kind == DatasetRecordKind.Gridded
                ? $"{field}: dataset '{dataset.Name}' is a raw upload; pass it as a raster input or ingest it first."
                : $"{field}: dataset '{dataset.Name}' is gridded; pass it as the dataset input.");
        }

        return dataset;
    }

    private static string Describe(GridRecord grid) =>
        FormattableString.Invariant($"{grid.Kind.ToString().ToLowerInvariant()} {grid.Nlat}x{grid.Nlon} (lon0 {grid.LonOriginDegrees}°)");
}

using Disco.Geo.Engine;
using Disco.Geo.Grids;
using Disco.Geo.Raster.Storage;
using Disco.Geo.Server.Jobs.Sources;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using StatusCode = Disco.Geo.Server.Problems.ProblemKind;

namespace Disco.Geo.Server.Jobs.Handlers;

/// <summary>
/// Runs <see cref="IPredictionEngine"/>: rows go into a tensor file and, while a Predict call is attached, out to
/// it as rows (the call cuts them into tiles); the finished map is stored as a blob and the prediction record updated.
/// </summary>
internal sealed class PredictionJobHandler(
    IPredictionEngine engine, ICatalog catalog, IBlobStore blobs, DataDirectory directory, PredictionStreams streams, SourceSandboxes sandboxes,
    IJobSpecReader specs, IOptions<LimitsOptions> limits, IOptions<ClusterOptions> cluster) : IJobHandler
{
    public JobRecordKind Kind => JobRecordKind.Prediction;

    public bool Exclusive => false;

    /// <summary>The prediction of an abandoned job ends failed too, so a retry of its request id runs anew rather than following it.</summary>
    public async Task AbandonedAsync(JobRecord job, CancellationToken cancellationToken)
    {
        if (job.Result?.PredictionId is { Length: > 0 } id
            && await catalog.FindPredictionAsync(id, cancellationToken) is { State: PredictionRecordState.Pending } prediction)
        {
            prediction.State = PredictionRecordState.Failed;
            prediction.JobId = job.Id;
            await catalog.SavePredictionAsync(prediction, cancellationToken);
        }
    }

    public async Task<JobResultRecord> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        PredictionJobSpec request = specs.ReadPrediction(context.Spec);
        string predictionId = context.PresetResult?.PredictionId ?? throw new JobFailedException(StatusCode.Internal, "The prediction job has no prediction record.");
        PredictionRecord prediction = await catalog.FindPredictionAsync(predictionId, cancellationToken)
            ?? throw new JobFailedException(StatusCode.NotFound, $"Prediction {predictionId} was deleted before it ran.");
        // The Predict call names the job in the record before submitting it; a record from before that rule may lack it,
        // and the record this job saves at its end must carry it (a retry with the same request_id follows the job).
        prediction.JobId = context.JobId;
        ModelRecord model = await catalog.FindModelAsync(request.Model, cancellationToken)
            ?? throw new JobFailedException(StatusCode.NotFound, $"Model {request.Model} was deleted before the prediction ran.");
        StoredModel? leveller = null;
        if (request.Settings.Leveller.Length > 0)
        {
            ModelRecord levellerRecord = await catalog.FindModelAsync(request.Settings.Leveller, cancellationToken)
                ?? throw new JobFailedException(StatusCode.NotFound, $"Model {request.Settings.Leveller} (level_with) was deleted before the prediction ran.");
            leveller = EngineRecords.ToStoredModel(levellerRecord, blobs);
        }

        PredictionInput input;
        try
        {
            input = await InputAsync(request.Input, cancellationToken);
        }
        catch (EngineInputException e)
        {
            throw new JobFailedException(StatusCode.InvalidArgument, e.Message);
        }

        string temp = directory.NewTempPath(".tensor");
        var sink = new Sink(temp, streams.Get(predictionId));
        try
        {
            Engine.MapSummary summary;
            try
            {
                summary = await engine.PredictAsync(
                    new PredictionWork(predictionId, EngineRecords.ToStoredModel(model, blobs), input,
                        request.Settings, limits.Value.MaxRasterPixels)
                    { Leveller = leveller },
                    sink, new EngineProgressAdapter(context), cancellationToken);
            }
            catch (EngineInputException e)
            {
                throw new JobFailedException(StatusCode.InvalidArgument, e.Message);
            }
            catch (EngineAccessDeniedException e)
            {
                throw new JobFailedException(StatusCode.PermissionDenied, e.Message);
            }
            catch (EngineStateException e)
            {
                throw EngineFailures.ToJobFailure(e);
            }

            sink.Close();
            if (sink.Grid is null)
            {
                throw new JobFailedException(StatusCode.Internal, "The prediction engine finished without producing a map.");
            }

            PredictionSummaryRecord storedSummary = EngineRecords.ToRecord(summary);
            prediction.Grid = EngineRecords.ToRecord(sink.Grid);
            prediction.Bands.Clear();
            prediction.Bands.Add(sink.Bands.Select(EngineRecords.ToRecord));
            prediction.TimeSteps.Clear();
            if (summary.TimeSteps.Count > 1)
            {
                prediction.TimeSteps.Add(summary.TimeSteps.Select(t => Timestamp.FromDateTime(DateTime.SpecifyKind(t, DateTimeKind.Utc))));
            }

            prediction.Summary = storedSummary;
            prediction.State = PredictionRecordState.Succeeded;
            // Fenced: a replica that took this prediction over (a retry reached it after this one stopped holding the
            // lease) commits it instead, and the record is written once.
            await context.EnsureLeaseAsync(cancellationToken);
            await blobs.CommitAsync(temp, null, async blob =>
            {
                prediction.Blob = blob;
                await catalog.SavePredictionAsync(prediction, CancellationToken.None);
                return true;
            }, cancellationToken);

            streams.Get(predictionId)?.Complete(storedSummary.Clone());
            return new JobResultRecord { PredictionId = predictionId };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A job handed back in a store outage runs again: its prediction stays pending, so that a retry of the
            // request follows the job instead of starting a second prediction beside it.
            if (!StoreOutages.HandsJobBack(e, directory, cluster.Value.Enabled))
            {
                prediction.State = PredictionRecordState.Failed;
                await catalog.SavePredictionAsync(prediction, CancellationToken.None);
            }

            streams.Get(predictionId)?.Fail();
            throw;
        }
        finally
        {
            sink.Close();
            File.Delete(temp);
        }
    }

    /// <summary>The prediction's input as the engine reads it.</summary>
    private async Task<PredictionInput> InputAsync(PredictionInputSpec input, CancellationToken cancellationToken) => input.Kind switch
    {
        PredictionInputKind.Dataset => new PredictionInput(await TrainingJobHandler.GriddedAsync(catalog, blobs, input.Reference, cancellationToken), null, null, null),
        PredictionInputKind.ServerPath => new PredictionInput(null, input.Reference, null, null, sandboxes.ForServerPaths()) { Bounds = input.Bounds },
        PredictionInputKind.UploadedRaster => await UploadInputAsync(input.Reference, null, cancellationToken) with { Bounds = input.Bounds },
        PredictionInputKind.Panorama => await UploadInputAsync(input.Reference, input.Orientation, cancellationToken),
        _ => throw new JobFailedException(StatusCode.InvalidArgument, "The prediction request has no input."),
    };

    /// <summary>An uploaded raster or photo: its blob, which may read only itself, named by the upload's file name.</summary>
    private async Task<PredictionInput> UploadInputAsync(string datasetId, Raster.Panoramas.CameraOrientation? panorama, CancellationToken cancellationToken)
    {
        DatasetRecord dataset = await catalog.FindDatasetAsync(datasetId, cancellationToken)
            ?? throw new JobFailedException(StatusCode.NotFound, $"Dataset {datasetId} was deleted before the prediction ran.");
        string blob = blobs.PathOf(dataset.Blob.Sha256);
        string name = IngestJobHandler.UploadName(dataset);
        string named = UploadFileNames.PathFor(blob, dataset.FileName);
        return panorama is null
            ? new PredictionInput(null, named, null, null, SourceSandboxes.ForUpload(blob), name)
            : new PredictionInput(null, null, panorama, named, SourceSandboxes.ForUpload(blob), name);
    }

    private sealed class Sink(string path, PredictionStream? stream) : IPredictionSink
    {
        private TensorFile? _file;

        public SphereGrid? Grid { get; private set; }

        public IReadOnlyList<DatasetBand> Bands { get; private set; } = [];

        public async ValueTask BeginAsync(SphereGrid grid, IReadOnlyList<DatasetBand> bands, CancellationToken cancellationToken)
        {
            if (_file is not null)
            {
                throw new InvalidOperationException("BeginAsync was called twice.");
            }

            Grid = grid;
            Bands = bands;
            _file = TensorFile.Create(path, bands.Count, grid.NLat, grid.NLon, hasMask: true);
            if (stream is not null)
            {
                await stream.WriteAsync(new PredictionBegun(grid, bands.Count), cancellationToken);
            }
        }

        public async ValueTask WriteRowsAsync(int rowStart, int rowCount, ReadOnlyMemory<float> values, ReadOnlyMemory<byte> mask, CancellationToken cancellationToken)
        {
            TensorFile file = _file ?? throw new InvalidOperationException("WriteRowsAsync before BeginAsync.");
            byte[] fullMask = mask.IsEmpty ? Enumerable.Repeat((byte)1, rowCount * file.NLon).ToArray() : mask.ToArray();
            file.WriteRows(rowStart, rowCount, values.Span, fullMask);
            if (stream is null)
            {
                return;
            }

            // The engine may reuse its buffer once this returns: the Predict call gets a copy.
            await stream.WriteAsync(new PredictionRows(rowStart, rowCount, values.ToArray(), fullMask), cancellationToken);
        }

        public void Close()
        {
            _file?.Flush();
            _file?.Dispose();
            _file = null;
        }
    }
}

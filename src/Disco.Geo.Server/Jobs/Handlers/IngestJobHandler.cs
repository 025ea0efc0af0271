using Disco.Geo.Engine;
using Disco.Geo.Raster.Storage;
using Disco.Geo.Server.Jobs.Sources;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using StatusCode = Disco.Geo.Server.Problems.ProblemKind;

namespace Disco.Geo.Server.Jobs.Handlers;

/// <summary>Runs <see cref="IIngestEngine"/> and stores its output as a gridded dataset (tensor file in the blob store).</summary>
internal sealed class IngestJobHandler(
    IIngestEngine engine, ICatalog catalog, IBlobStore blobs, DataDirectory directory, SourceSandboxes sandboxes, IJobSpecReader specs,
    IOptions<LimitsOptions> limits) : IJobHandler
{
    public JobRecordKind Kind => JobRecordKind.Ingest;

    public bool Exclusive => false;

    /// <summary>An upload as a source: its blob, which may read only itself, named by the upload's file name.</summary>
    private static async Task<IngestSourceFiles> UploadAsync(ICatalog catalog, IBlobStore blobs, SourceSandboxes sandboxes, string datasetId, CancellationToken cancellationToken)
    {
        DatasetRecord dataset = await catalog.FindDatasetAsync(datasetId, cancellationToken)
            ?? throw new JobFailedException(StatusCode.NotFound, $"Dataset {datasetId} was deleted before it could be ingested.");
        string blob = blobs.PathOf(dataset.Blob.Sha256);
        return new IngestSourceFiles([UploadFileNames.PathFor(blob, dataset.FileName)], SourceSandboxes.ForUpload(blob), UploadName(dataset));
    }

    /// <summary>How messages name an upload: the file name it was sent with, else the dataset's name.</summary>
    public static string UploadName(DatasetRecord dataset) => dataset.FileName.Length > 0 ? dataset.FileName : dataset.Name;

    /// <summary>
    /// The engine's work for an ingest whose sources are resolved (dataset ids, server paths checked against the
    /// import roots): the files of each source, what they may read, and the request field that names it. Used by the
    /// RPC to inspect the sources before queueing, and by the job.
    /// </summary>
    /// <exception cref="EngineInputException">The spec's grid cannot be built.</exception>
    public static async Task<IngestWork> WorkAsync(
        IngestJobSpec spec, ICatalog catalog, IBlobStore blobs, SourceSandboxes sandboxes, long maxRasterPixels, CancellationToken cancellationToken)
    {
        if (spec.Sources.Count == 0)
        {
            throw new JobFailedException(StatusCode.InvalidArgument, "The ingest request has no source.");
        }

        var sources = new List<IngestSourceFiles>();
        foreach (IngestSourceSpec source in spec.Sources)
        {
            IngestSourceFiles files = source.DatasetId is { } datasetId
                ? await UploadAsync(catalog, blobs, sandboxes, datasetId, cancellationToken)
                : new IngestSourceFiles([.. source.ServerPaths], sandboxes.ForServerPaths());
            sources.Add(files with { Variable = source.Variable, VariableField = source.VariableField, Bounds = source.Bounds });
        }

        return new IngestWork(sources, EngineRecords.ToSphereGrid(spec.Grid), spec.Bands, maxRasterPixels) { SourceFields = [.. spec.Sources.Select(s => s.Field)] };
    }

    public async Task<JobResultRecord> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        IngestJobSpec spec = specs.ReadIngest(context.Spec);
        IngestOutput output;
        try
        {
            IngestWork work = await WorkAsync(spec, catalog, blobs, sandboxes, limits.Value.MaxRasterPixels, cancellationToken);
            output = await engine.IngestAsync(work with { Inspection = context.Prepared as IngestInspection }, new EngineProgressAdapter(context), cancellationToken);
        }
        catch (EngineInputException e)
        {
            throw new JobFailedException(StatusCode.InvalidArgument, e.Message);
        }
        catch (EngineAccessDeniedException e)
        {
            throw new JobFailedException(StatusCode.PermissionDenied, e.Message);
        }

        int bandCount = output.Bands.Count * Math.Max(1, output.TimeSteps.Count);
        long nodes = (long)spec.Grid.Nlat * spec.Grid.Nlon;
        if (bandCount == 0 || output.Values.LongLength != bandCount * nodes || (output.Mask is not null && output.Mask.LongLength != nodes))
        {
            throw new JobFailedException(StatusCode.Internal, $"The ingest engine returned {output.Values.LongLength} values for {bandCount} bands on a {spec.Grid.Nlat} x {spec.Grid.Nlon} grid.");
        }

        string temp = directory.NewTempPath(".tensor");
        try
        {
            using (TensorFile file = TensorFile.Create(temp, bandCount, spec.Grid.Nlat, spec.Grid.Nlon, output.Mask is not null))
            {
                file.WriteRows(0, spec.Grid.Nlat, output.Values, output.Mask);
                file.Flush();
            }

            var dataset = new DatasetRecord
            {
                Id = Ids.OutputOf(Ids.Dataset, context.JobId),
                Name = spec.Name,
                Kind = DatasetRecordKind.Gridded,
                Grid = spec.Grid.Clone(),
                Bands = { output.Bands.Select(EngineRecords.ToRecord) },
                TimeSteps = { output.TimeSteps.Select(t => Timestamp.FromDateTime(DateTime.SpecifyKind(t, DateTimeKind.Utc))) },
                ProvenanceJson = output.ProvenanceJson,
                SourceDatasetId = spec.SourceDatasetId,
                Labels = { new Dictionary<string, string>(spec.Labels) },
                Description = spec.Description,
                CreateTime = Timestamp.FromDateTime(DateTime.UtcNow),
            };
            await context.EnsureLeaseAsync(cancellationToken);
            await StoredRecords.CommitDatasetAsync(catalog, blobs, temp, dataset, cancellationToken);
            return new JobResultRecord { DatasetId = dataset.Id };
        }
        finally
        {
            File.Delete(temp);
        }
    }
}

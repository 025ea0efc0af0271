using Disco.Geo.Engine;
using Disco.Geo.Protos.V1;
using Disco.Geo.Raster.Storage;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Hosting;
using Disco.Geo.Server.Jobs.Sources;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Storage;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using StatusCode = Disco.Geo.Server.Problems.ProblemKind;

namespace Disco.Geo.Server.Jobs.Handlers;

/// <summary>Runs <see cref="IIngestEngine"/> and stores its output as a gridded dataset (tensor file in the blob store).</summary>
internal sealed class IngestJobHandler(
    IIngestEngine engine, Catalog catalog, BlobStore blobs, DataDirectory directory, SourceSandboxes sandboxes, IOptions<LimitsOptions> limits) : IJobHandler
{
    public JobKind Kind => JobKind.Ingest;

    public bool Exclusive => false;

    /// <summary>An upload as a source: its blob, which may read only itself, named by the upload's file name.</summary>
    private static async Task<IngestSourceFiles> UploadAsync(Catalog catalog, BlobStore blobs, string datasetId, CancellationToken cancellationToken)
    {
        Dataset dataset = await catalog.FindAsync(catalog.Datasets, Ids.Dataset, datasetId, cancellationToken)
            ?? throw new JobFailedException(StatusCode.NotFound, $"Dataset {datasetId} was deleted before it could be ingested.");
        string blob = blobs.PathOf(dataset.Blob.Sha256);
        return new IngestSourceFiles([blob], SourceSandboxes.ForUpload(blob), UploadName(dataset));
    }

    /// <summary>How messages name an upload: the file name it was sent with, else the dataset's name.</summary>
    public static string UploadName(Dataset dataset) => dataset.FileName.Length > 0 ? dataset.FileName : dataset.Name;

    /// <summary>
    /// The engine's work for an ingest request whose sources are resolved (dataset ids, server paths checked against
    /// the import roots): the files of each source, what they may read, and the API field that names it. Used by the
    /// RPC to inspect the sources before queueing, and by the job.
    /// </summary>
    /// <exception cref="EngineInputException">The request's grid cannot be built.</exception>
    public static async Task<IngestWork> WorkAsync(
        IngestDatasetRequest request, Catalog catalog, BlobStore blobs, SourceSandboxes sandboxes, long maxRasterPixels, CancellationToken cancellationToken)
    {
        var sources = new List<IngestSourceFiles>
        {
            request.SourceCase switch
            {
                IngestDatasetRequest.SourceOneofCase.DatasetId => await UploadAsync(catalog, blobs, request.DatasetId, cancellationToken),
                IngestDatasetRequest.SourceOneofCase.ServerPath => new IngestSourceFiles([request.ServerPath.Path], sandboxes.ForServerPaths()),
                IngestDatasetRequest.SourceOneofCase.Tiles => new IngestSourceFiles([.. request.Tiles.Paths], sandboxes.ForServerPaths()),
                _ => throw new JobFailedException(StatusCode.InvalidArgument, "The ingest request has no source."),
            },
        };
        var fields = new List<string>
        {
            request.SourceCase switch
            {
                IngestDatasetRequest.SourceOneofCase.DatasetId => "dataset_id",
                IngestDatasetRequest.SourceOneofCase.ServerPath => "server_path.path",
                _ => "tiles.paths",
            },
        };
        for (int i = 0; i < request.AdditionalSources.Count; i++)
        {
            RasterSource extra = request.AdditionalSources[i];
            sources.Add(extra.LocationCase == RasterSource.LocationOneofCase.DatasetId
                ? await UploadAsync(catalog, blobs, extra.DatasetId, cancellationToken)
                : new IngestSourceFiles([extra.ServerPath], sandboxes.ForServerPaths()));
            fields.Add($"additional_sources[{i}]");
        }

        return new IngestWork(sources, GridMapping.ToSphereGrid(request.Grid), [.. request.Bands.Select(BandMapping.ToEngine)], maxRasterPixels) { SourceFields = fields };
    }

    public async Task<JobResult> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        IngestDatasetRequest request = Any.Parser.ParseFrom(context.Spec).Unpack<IngestDatasetRequest>();
        IngestOutput output;
        try
        {
            IngestWork work = await WorkAsync(request, catalog, blobs, sandboxes, limits.Value.MaxRasterPixels, cancellationToken);
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

        int bandCount = output.Bands.Count;
        long nodes = (long)request.Grid.Nlat * request.Grid.Nlon;
        if (bandCount == 0 || output.Values.LongLength != bandCount * nodes || (output.Mask is not null && output.Mask.LongLength != nodes))
        {
            throw new JobFailedException(StatusCode.Internal, $"The ingest engine returned {output.Values.LongLength} values for {bandCount} bands on a {request.Grid.Nlat} x {request.Grid.Nlon} grid.");
        }

        string temp = directory.NewTempPath(".tensor");
        try
        {
            using (TensorFile file = TensorFile.Create(temp, bandCount, request.Grid.Nlat, request.Grid.Nlon, output.Mask is not null))
            {
                file.WriteRows(0, request.Grid.Nlat, output.Values, output.Mask);
                file.Flush();
            }

            var dataset = new Dataset
            {
                Id = Ids.New(Ids.Dataset),
                Name = request.Name,
                Kind = DatasetKind.Gridded,
                Grid = request.Grid,
                Bands = { output.Bands.Select(BandMapping.ToApi) },
                ProvenanceJson = output.ProvenanceJson,
                SourceDatasetId = request.DatasetId,
                Labels = { request.Labels },
                Description = request.Description,
                CreateTime = Timestamp.FromDateTime(DateTime.UtcNow),
            };
            await StoredRecords.CommitDatasetAsync(catalog, blobs, temp, dataset, cancellationToken);
            return new JobResult { DatasetId = dataset.Id };
        }
        finally
        {
            File.Delete(temp);
        }
    }
}

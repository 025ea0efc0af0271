using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Engines;
using Disco.Geo.Server.Hosting;
using Disco.Geo.Server.Storage;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Jobs.Handlers;

/// <summary>Runs <see cref="IIngestEngine"/> and stores its output as a gridded dataset (tensor file in the blob store).</summary>
internal sealed class IngestJobHandler(IServiceProvider services, Catalog catalog, BlobStore blobs, DataDirectory directory, IOptions<LimitsOptions> limits) : IJobHandler
{
    public JobKind Kind => JobKind.Ingest;

    public bool Exclusive => false;

    public async Task<JobResult> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        IIngestEngine engine = services.GetService<IIngestEngine>()
            ?? throw new JobFailedException(StatusCode.Unimplemented, "This server build has no ingest engine (IIngestEngine); the job cannot run.");
        IngestDatasetRequest request = Any.Parser.ParseFrom(context.Spec).Unpack<IngestDatasetRequest>();
        List<string> sources = request.SourceCase switch
        {
            IngestDatasetRequest.SourceOneofCase.DatasetId => [blobs.PathOf((await catalog.FindAsync(catalog.Datasets, Ids.Dataset, request.DatasetId, cancellationToken)
                ?? throw new JobFailedException(StatusCode.NotFound, $"Dataset {request.DatasetId} was deleted before it could be ingested.")).Blob.Sha256)],
            IngestDatasetRequest.SourceOneofCase.ServerPath => [request.ServerPath.Path],
            IngestDatasetRequest.SourceOneofCase.Tiles => [.. request.Tiles.Paths],
            _ => throw new JobFailedException(StatusCode.InvalidArgument, "The ingest request has no source."),
        };

        IngestOutput output;
        try
        {
            output = await engine.IngestAsync(
                new IngestWork(sources, request.Grid, request.Bands, limits.Value.MaxRasterPixels), new EngineProgressAdapter(context), cancellationToken);
        }
        catch (EngineInputException e)
        {
            throw new JobFailedException(StatusCode.InvalidArgument, e.Message);
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
                Bands = { output.Bands },
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

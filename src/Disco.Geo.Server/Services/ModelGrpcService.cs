using Disco.Geo.Engine;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Application.Queries;
using Disco.Geo.Server.Application.Transfers;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Jobs.Handlers;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Services;

/// <summary>ModelService: model packages stored as blobs with their card.</summary>
internal sealed class ModelGrpcService(
    ICatalog catalog,
    FileTransfers transfers,
    IBlobStore blobs,
    JobRunner runner,
    ActiveJobs activeJobs,
    IModelCardReader cards,
    IOptions<LimitsOptions> limitOptions,
    ILogger<ModelGrpcService> logger) : ModelService.ModelServiceBase
{
    private readonly LimitsOptions _limits = limitOptions.Value;

    public override async Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        PageRequest page = RecordQueries.Page(request.PageSize, request.PageToken);
        RecordPage<ModelRecord> found = await catalog.ListModelsAsync(page.ToCatalogQuery() with { NamePrefix = request.NamePrefix }, context.CancellationToken);
        return new ListModelsResponse { Models = { found.Items.Select(RecordMapping.ToApi) }, NextPageToken = RecordQueries.NextToken(found, m => m.Id) };
    }

    public override Task<Model> GetModel(GetModelRequest request, ServerCallContext context) => FindAsync(request.Model, context.CancellationToken);

    public override async Task<DeleteModelResponse> DeleteModel(DeleteModelRequest request, ServerCallContext context)
    {
        Model model = await FindAsync(request.Model, context.CancellationToken);
        await activeJobs.ThrowIfInUseAsync("model", model.Id, context.CancellationToken);
        long freed = await catalog.DeleteModelAsync(model.Id, context.CancellationToken) ?? throw Problem.NotFound("model", request.Model);
        logger.LogInformation("Model {ModelId} ('{Name}') deleted; {Bytes} bytes freed", model.Id, model.Name, freed);
        return new DeleteModelResponse { ModelId = model.Id, FreedBytes = freed };
    }

    public override async Task ExportModel(ExportModelRequest request, IServerStreamWriter<ExportModelResponse> responseStream, ServerCallContext context)
    {
        if (request.ChunkBytes < 0 || request.ChunkBytes > _limits.MaxChunkBytes)
        {
            throw Problem.InvalidArgument("chunk_bytes", $"must be 0 (1 MiB) or at most {_limits.MaxChunkBytes}.");
        }

        Model model = await FindAsync(request.Model, context.CancellationToken);
        if (request.Offset < 0 || request.Offset > model.Blob.SizeBytes)
        {
            throw Problem.OutOfRange("offset", $"must be between 0 and the package size, {model.Blob.SizeBytes} bytes.");
        }

        await responseStream.WriteAsync(new ExportModelResponse
        {
            File = new FileMetadata { FileName = model.Name + ".discomodel", ContentType = "application/octet-stream", SizeBytes = model.Blob.SizeBytes, Sha256 = model.Blob.Sha256 },
        }, context.CancellationToken);
        await transfers.SendStoredAsync(model.Blob.Sha256, request.Offset, request.ChunkBytes,
            piece => responseStream.WriteAsync(new ExportModelResponse { Chunk = TransferMapping.ToApi(piece) }, context.CancellationToken), context.CancellationToken);
    }

    public override async Task<Model> ImportModel(IAsyncStreamReader<ImportModelRequest> requestStream, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken) || requestStream.Current.MessageCase != ImportModelRequest.MessageOneofCase.Header)
        {
            throw Problem.InvalidArgument("header", "the first message of an import must be the header (size_bytes, sha256, optional name).");
        }

        ImportModelHeader header = requestStream.Current.Header;
        var violations = new List<(string, string)>();
        if (header.Name.Length > 0)
        {
            Validation.AddNameViolation(violations, "header.name", header.Name);
        }

        Validation.AddSha256Violation(violations, "header.sha256", header.Sha256);
        if (header.SizeBytes <= 0)
        {
            violations.Add(("header.size_bytes", "must be the package's size in bytes."));
        }

        Validation.ThrowIfAny(violations);
        if (header.SizeBytes > _limits.MaxUploadBytes)
        {
            throw Problem.OutOfRange("header.size_bytes", $"{header.SizeBytes} bytes exceeds the server's limit of {_limits.MaxUploadBytes} bytes (Limits:MaxUploadBytes).");
        }

        string temp = await transfers.ReceiveWholeAsync(ChunksOf(requestStream, cancellationToken), header.SizeBytes, header.Sha256, ".model", cancellationToken);
        try
        {
            string sha256 = header.Sha256;

            ModelCardJson card;
            try
            {
                card = await cards.ReadAsync(temp, cancellationToken);
            }
            catch (EngineInputException e)
            {
                throw Problem.InvalidArgument("chunk.data", e.Message);
            }

            string name = header.Name.Length > 0 ? header.Name : EngineRecords.CardName(card) ?? "";
            if (!Validation.IsValidName(name))
            {
                throw Problem.InvalidArgument("header.name", $"the card has no usable name ('{ClientText.Shorten(name)}'); pass a name: {Validation.NameRule}.");
            }

            if ((await catalog.FindModelAsync(name, cancellationToken))?.ToApi() is { } existing)
            {
                return existing.Blob.Sha256 == sha256
                    ? existing
                    : throw Problem.AlreadyExists("model", name, "It holds a different package; delete it with `disco models rm` or import under another name.");
            }

            var model = new ModelRecord { Id = Ids.New(Ids.Model), Name = name, CreateTime = Timestamp.FromDateTime(DateTime.UtcNow) };
            EngineRecords.ApplyCard(model, card);
            BlobRecord? blob = await blobs.CommitAsync(temp, sha256, stored =>
            {
                model.Blob = stored;
                return catalog.TryInsertModelAsync(model, CancellationToken.None);
            }, cancellationToken);
            if (blob is null)
            {
                throw Problem.AlreadyExists("model", name, "It was imported by another call while this one ran.");
            }

            logger.LogInformation("Model {ModelId} ('{Name}') imported: {Bytes} bytes", model.Id, model.Name, header.SizeBytes);
            return model.ToApi();
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public override async Task<Job> VerifyModel(VerifyModelRequest request, ServerCallContext context)
    {
        Model model = await FindAsync(request.Model, context.CancellationToken);
        return (await runner.SubmitAsync(new JobSubmission(
            JobKind.Verify.ToRecord(), JobSpecs.Of(new VerifyModelRequest { Model = model.Id }), VerifyJobHandler.Lane, request.Priority, $"verify model '{model.Name}'", null, [model.Id]),
            context.CancellationToken)).ToApi();
    }

    /// <summary>The chunks after the header; null for a message that is not a chunk.</summary>
    private static async IAsyncEnumerable<FilePiece?> ChunksOf(
        IAsyncStreamReader<ImportModelRequest> requestStream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await requestStream.MoveNext(cancellationToken))
        {
            yield return requestStream.Current.MessageCase == ImportModelRequest.MessageOneofCase.Chunk ? TransferMapping.ToPiece(requestStream.Current.Chunk) : null;
        }
    }

    private async Task<Model> FindAsync(string reference, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(reference))
        {
            throw Problem.InvalidArgument("model", "is required: a model id (mdl_...) or name.");
        }

        return (await catalog.FindModelAsync(reference, cancellationToken))?.ToApi() ?? throw Problem.NotFound("model", reference);
    }
}

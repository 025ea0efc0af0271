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
    IModelWeightsConverter weights,
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

        if (request.Format is not (ModelFileFormat.Unspecified or ModelFileFormat.Package or ModelFileFormat.Safetensors))
        {
            throw Problem.InvalidArgument("format", $"unknown format {(int)request.Format}; use PACKAGE or SAFETENSORS.");
        }

        Model model = await FindAsync(request.Model, context.CancellationToken);
        if (request.Format == ModelFileFormat.Safetensors)
        {
            await ExportSafetensorsAsync(model, request, responseStream, context.CancellationToken);
            return;
        }

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

    /// <summary>
    /// Converts the package to safetensors in a temporary file and streams that. The conversion is deterministic, so a
    /// resumed download (offset &gt; 0) converts again and continues the same bytes.
    /// </summary>
    private async Task ExportSafetensorsAsync(Model model, ExportModelRequest request, IServerStreamWriter<ExportModelResponse> responseStream, CancellationToken cancellationToken)
    {
        string temp = transfers.NewTempPath(".safetensors");
        try
        {
            try
            {
                await weights.ExportSafetensorsAsync(blobs.PathOf(model.Blob.Sha256), temp, cancellationToken);
            }
            catch (EngineStateException e)
            {
                throw e.Problem == EngineStateProblem.Damaged
                    ? Problem.DataLoss($"The stored package of model '{model.Name}' cannot be read: {e.Message}")
                    : Problem.FailedPrecondition("model", model.Name, e.Message);
            }

            long size = new FileInfo(temp).Length;
            if (request.Offset < 0 || request.Offset > size)
            {
                throw Problem.OutOfRange("offset", $"must be between 0 and the safetensors file's size, {size} bytes.");
            }

            string sha256 = await FileHashes.Sha256Async(temp, 0, cancellationToken);
            await responseStream.WriteAsync(new ExportModelResponse
            {
                File = new FileMetadata { FileName = model.Name + ".safetensors", ContentType = "application/octet-stream", SizeBytes = size, Sha256 = sha256 },
            }, cancellationToken);
            await transfers.SendFileAsync(temp, request.Offset, request.ChunkBytes,
                piece => responseStream.WriteAsync(new ExportModelResponse { Chunk = TransferMapping.ToApi(piece) }, cancellationToken), cancellationToken);
            logger.LogInformation("Model {ModelId} ('{Name}') exported as safetensors: {Bytes} bytes from offset {Offset}", model.Id, model.Name, size, request.Offset);
        }
        finally
        {
            File.Delete(temp);
        }
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

        if (header.Format is not (ModelFileFormat.Unspecified or ModelFileFormat.Package or ModelFileFormat.Safetensors))
        {
            violations.Add(("header.format", $"unknown format {(int)header.Format}; use PACKAGE, SAFETENSORS or leave it unset to detect it."));
        }

        Validation.ThrowIfAny(violations);
        Validation.ThrowIfOverUploadLimit("header.size_bytes", header.SizeBytes, _limits);

        string received = await transfers.ReceiveWholeAsync(ChunksOf(requestStream, cancellationToken), header.SizeBytes, header.Sha256, ".model", cancellationToken);
        string temp = received;
        try
        {
            string sha256 = header.Sha256;
            if (header.Format == ModelFileFormat.Safetensors || (header.Format == ModelFileFormat.Unspecified && await LooksLikeSafetensorsAsync(received, cancellationToken)))
            {
                temp = transfers.NewTempPath(".model");
                try
                {
                    await weights.ImportSafetensorsAsync(received, temp, header.Name.Length > 0 ? header.Name : null, cancellationToken);
                }
                catch (EngineFileException e)
                {
                    throw Problem.InvalidArgument(e.Violations.Select(v => ("safetensors." + v.Field, v.Description)).ToArray());
                }

                sha256 = await FileHashes.Sha256Async(temp, 0, cancellationToken);
            }

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

            logger.LogInformation("Model {ModelId} ('{Name}') imported: {Bytes} bytes ({Format})", model.Id, model.Name, header.SizeBytes, temp == received ? "package" : "safetensors");
            return model.ToApi();
        }
        finally
        {
            File.Delete(temp);
            File.Delete(received);
        }
    }

    /// <summary>
    /// A package starts with "DISCOMDL"; a safetensors file with its header length and then the JSON header's "{".
    /// Anything else is left to the package reader, whose message names the header it expected.
    /// </summary>
    private static async Task<bool> LooksLikeSafetensorsAsync(string path, CancellationToken cancellationToken)
    {
        byte[] head = new byte[9];
        await using FileStream stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        int read = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        return read == head.Length && head[8] == (byte)'{' && !head.AsSpan(0, 8).SequenceEqual("DISCOMDL"u8);
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

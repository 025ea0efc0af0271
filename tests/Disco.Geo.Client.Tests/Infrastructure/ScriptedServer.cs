using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Disco.Geo.Client.Tests.Infrastructure;

/// <summary>
/// A gRPC server in this process (Kestrel on 127.0.0.1, port 0, HTTP/2) serving the Disco.Geo services from scripted
/// state: it records every call with its request, keeps uploaded and imported bytes, serves files in chunks from any
/// offset, and breaks a stream once at a chosen chunk when asked, like a server restart would.
/// </summary>
internal sealed class ScriptedServer : IAsyncDisposable
{
    /// <summary>Bytes per chunk the server sends; small, so a file takes several.</summary>
    public const int ServerChunkBytes = 1000;

    private readonly WebApplication _app;

    private ScriptedServer(WebApplication app, string address)
    {
        _app = app;
        Address = address;
    }

    public string Address { get; }

    /// <summary>Every call as "Method {request as JSON}", in arrival order.</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>Offset and length of every chunk the server received, per upload name or model import.</summary>
    public ConcurrentQueue<(string Transfer, long Offset, int Length)> ReceivedChunks { get; } = new();

    /// <summary>Raw datasets by name: their content, as uploaded or put here by a test.</summary>
    public ConcurrentDictionary<string, byte[]> RawFiles { get; } = new();

    /// <summary>Bytes committed so far per upload name.</summary>
    public ConcurrentDictionary<string, MemoryStream> Partial { get; } = new();

    /// <summary>Model packages by name, as imported or put here by a test.</summary>
    public ConcurrentDictionary<string, byte[]> Packages { get; } = new();

    /// <summary>Export files (dataset and prediction exports) by id, with the sidecar to announce.</summary>
    public ConcurrentDictionary<string, (byte[] Content, string AuxXml)> Exports { get; } = new();

    /// <summary>The next upload, download or model export breaks (UNAVAILABLE) after this many chunks; 0 = none.</summary>
    public int BreakAfterChunks { get; set; }

    /// <summary>Model exports announce this SHA-256 instead of the real one when set.</summary>
    public string? AnnouncedModelSha256 { get; set; }

    /// <summary>Chunk offsets the server sends are shifted by this many bytes (a broken server).</summary>
    public long OffsetSkew { get; set; }

    /// <summary>Downloads stop after the first chunk and wait until the client goes away.</summary>
    public bool StallDownloads { get; set; }

    public static async Task<ScriptedServer> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var holder = new Holder();
        builder.Services.AddSingleton(holder);
        WebApplication app = builder.Build();
        app.MapGrpcService<Datasets>();
        app.MapGrpcService<Jobs>();
        app.MapGrpcService<Training>();
        app.MapGrpcService<Models>();
        app.MapGrpcService<Predictions>();
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new ScriptedServer(app, address);
        holder.Server = server;
        return server;
    }

    public DiscoClient Client(int chunkBytes = DiscoClientOptions.MinTransferChunkBytes) => DiscoClient.Connect(new DiscoClientOptions
    {
        Address = Address,
        ChunkBytes = chunkBytes,
        MaxAttempts = 3,
        InitialBackoff = TimeSpan.FromMilliseconds(1),
        MaxBackoff = TimeSpan.FromMilliseconds(1),
    });

    /// <summary>Takes the calls recorded so far, leaving none.</summary>
    public List<string> TakeCalls()
    {
        var taken = new List<string>();
        while (Calls.TryDequeue(out string? call))
        {
            taken.Add(call);
        }

        return taken;
    }

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void Record(string method, IMessage request) => Calls.Enqueue(method + " " + JsonFormatter.Default.Format(request));

    /// <summary>True once per armed break, when <paramref name="sent"/> chunks have gone.</summary>
    private bool BreakNow(int sent)
    {
        if (BreakAfterChunks > 0 && sent == BreakAfterChunks)
        {
            BreakAfterChunks = 0;
            return true;
        }

        return false;
    }

    private async Task SendChunksAsync<T>(byte[] content, long offset, IServerStreamWriter<T> stream, Func<FileChunk, T> wrap, ServerCallContext context)
    {
        int sent = 0;
        for (long at = offset; at < content.Length; at += ServerChunkBytes)
        {
            if (BreakNow(sent))
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "scripted break"));
            }

            int length = (int)Math.Min(ServerChunkBytes, content.Length - at);
            await stream.WriteAsync(wrap(new FileChunk { Offset = at + OffsetSkew, Data = ByteString.CopyFrom(content, (int)at, length) }));
            sent++;
            if (StallDownloads)
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
        }
    }

    private static Dataset RawDataset(string name, byte[] content) => new()
    {
        Id = "ds_" + name,
        Name = name,
        Kind = DatasetKind.RawFile,
        Blob = new BlobInfo { SizeBytes = content.Length, Sha256 = Sha256(content) },
    };

    private static string NameOf(string reference) => reference.StartsWith("ds_", StringComparison.Ordinal) ? reference[3..] : reference;

    private static FileMetadata Metadata(string name, byte[] content, string auxXml = "") =>
        new() { FileName = name, SizeBytes = content.Length, Sha256 = Sha256(content), AuxXml = auxXml };

    private sealed class Holder
    {
        public ScriptedServer Server { get; set; } = null!;
    }

    private sealed class Datasets(Holder holder) : DatasetService.DatasetServiceBase
    {
        private ScriptedServer S => holder.Server;

        public override Task<UploadStatus> GetUploadStatus(GetUploadStatusRequest request, ServerCallContext context)
        {
            S.Record("GetUploadStatus", request);
            if (S.RawFiles.TryGetValue(request.Name, out byte[]? done) && Sha256(done) == request.Sha256)
            {
                return Task.FromResult(new UploadStatus { State = UploadState.Complete, DatasetId = "ds_" + request.Name, CommittedBytes = done.Length });
            }

            long committed = S.Partial.TryGetValue(request.Name, out MemoryStream? partial) ? partial.Length : 0;
            return Task.FromResult(new UploadStatus { State = committed > 0 ? UploadState.InProgress : UploadState.NotStarted, CommittedBytes = committed });
        }

        public override async Task<UploadFileResponse> UploadFile(IAsyncStreamReader<UploadFileRequest> requestStream, ServerCallContext context)
        {
            Assert.True(await requestStream.MoveNext());
            UploadHeader header = requestStream.Current.Header;
            S.Record("UploadFile", header);
            MemoryStream partial = S.Partial.GetOrAdd(header.Name, _ => new MemoryStream());
            Assert.Equal(partial.Length, header.Offset);
            int received = 0;
            while (await requestStream.MoveNext())
            {
                FileChunk chunk = requestStream.Current.Chunk;
                Assert.Equal(partial.Length, chunk.Offset);
                partial.Write(chunk.Data.Span);
                S.ReceivedChunks.Enqueue((header.Name, chunk.Offset, chunk.Data.Length));
                if (S.BreakNow(++received))
                {
                    throw new RpcException(new Status(StatusCode.Unavailable, "scripted break"));
                }
            }

            byte[] content = partial.ToArray();
            Assert.Equal(header.Sha256, Sha256(content));
            S.Partial.TryRemove(header.Name, out _);
            S.RawFiles[header.Name] = content;
            return new UploadFileResponse { Dataset = RawDataset(header.Name, content) };
        }

        public override Task<Dataset> GetDataset(GetDatasetRequest request, ServerCallContext context)
        {
            S.Record("GetDataset", request);
            string name = NameOf(request.Dataset);
            return S.RawFiles.TryGetValue(name, out byte[]? content)
                ? Task.FromResult(RawDataset(name, content))
                : Task.FromResult(new Dataset { Id = "ds_" + name, Name = name, Kind = DatasetKind.Gridded });
        }

        public override Task<ListDatasetsResponse> ListDatasets(ListDatasetsRequest request, ServerCallContext context)
        {
            S.Record("ListDatasets", request);
            // Two pages, so paging is part of what a listing does.
            return Task.FromResult(request.PageToken.Length == 0
                ? new ListDatasetsResponse { Datasets = { new Dataset { Name = "first" } }, NextPageToken = "2" }
                : new ListDatasetsResponse { Datasets = { new Dataset { Name = "second" } } });
        }

        public override Task<DeleteDatasetResponse> DeleteDataset(DeleteDatasetRequest request, ServerCallContext context)
        {
            S.Record("DeleteDataset", request);
            return Task.FromResult(new DeleteDatasetResponse { DatasetId = "ds_" + NameOf(request.Dataset) });
        }

        public override Task<Job> IngestDataset(IngestDatasetRequest request, ServerCallContext context)
        {
            S.Record("IngestDataset", request);
            return Task.FromResult(new Job { Id = "job_ingest", State = JobState.Queued });
        }

        public override Task<Job> VerifyDataset(VerifyDatasetRequest request, ServerCallContext context)
        {
            S.Record("VerifyDataset", request);
            return Task.FromResult(new Job { Id = "job_verify", State = JobState.Queued });
        }

        public override async Task DownloadDataset(DownloadDatasetRequest request, IServerStreamWriter<DownloadDatasetResponse> responseStream, ServerCallContext context)
        {
            S.Record("DownloadDataset", request);
            string name = NameOf(request.Dataset);
            if (!S.RawFiles.TryGetValue(name, out byte[]? content))
            {
                await responseStream.WriteAsync(new DownloadDatasetResponse { Dataset = new Dataset { Id = "ds_" + name, Name = name, Kind = DatasetKind.Gridded } });
                return;
            }

            await responseStream.WriteAsync(new DownloadDatasetResponse { Dataset = RawDataset(name, content) });
            await S.SendChunksAsync(content, request.Offset, responseStream, chunk => new DownloadDatasetResponse { Chunk = chunk }, context);
        }

        public override async Task ExportDataset(ExportDatasetRequest request, IServerStreamWriter<ExportDatasetResponse> responseStream, ServerCallContext context)
        {
            S.Record("ExportDataset", request);
            (byte[] content, string auxXml) = S.Exports[request.Dataset];
            await responseStream.WriteAsync(new ExportDatasetResponse { File = Metadata(request.Dataset + ".tif", content, auxXml) });
            await S.SendChunksAsync(content, 0, responseStream, chunk => new ExportDatasetResponse { Chunk = chunk }, context);
        }
    }

    private sealed class Jobs(Holder holder) : JobService.JobServiceBase
    {
        private ScriptedServer S => holder.Server;

        public override Task<Job> GetJob(GetJobRequest request, ServerCallContext context)
        {
            S.Record("GetJob", request);
            return Task.FromResult(new Job { Id = request.JobId, State = JobState.Succeeded, Revision = 3 });
        }

        public override Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context)
        {
            S.Record("CancelJob", request);
            return Task.FromResult(new Job { Id = request.JobId, State = JobState.Cancelled });
        }

        public override Task<Job> ResumeJob(ResumeJobRequest request, ServerCallContext context)
        {
            S.Record("ResumeJob", request);
            return Task.FromResult(new Job { Id = request.JobId, State = JobState.Queued });
        }

        public override Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context)
        {
            S.Record("ListJobs", request);
            return Task.FromResult(new ListJobsResponse { Jobs = { new Job { Id = "job_1" } } });
        }

        public override async Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobEvent> responseStream, ServerCallContext context)
        {
            S.Record("WatchJob", request);
            await responseStream.WriteAsync(new JobEvent { Job = new Job { Id = request.JobId, State = JobState.Running, Revision = 1 } });
            await responseStream.WriteAsync(new JobEvent { Job = new Job { Id = request.JobId, State = JobState.Succeeded, Revision = 2 } });
        }
    }

    private sealed class Training(Holder holder) : TrainingService.TrainingServiceBase
    {
        public override Task<Job> StartTraining(StartTrainingRequest request, ServerCallContext context)
        {
            holder.Server.Record("StartTraining", request);
            return Task.FromResult(new Job { Id = "job_train", State = JobState.Queued });
        }
    }

    private sealed class Models(Holder holder) : ModelService.ModelServiceBase
    {
        private ScriptedServer S => holder.Server;

        public override Task<Model> GetModel(GetModelRequest request, ServerCallContext context)
        {
            S.Record("GetModel", request);
            return Task.FromResult(new Model { Id = "mdl_" + request.Model, Name = request.Model, Grid = new Grid { Nlat = 2, Nlon = 3 } });
        }

        public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
        {
            S.Record("ListModels", request);
            return Task.FromResult(new ListModelsResponse { Models = { new Model { Name = "m" } } });
        }

        public override Task<DeleteModelResponse> DeleteModel(DeleteModelRequest request, ServerCallContext context)
        {
            S.Record("DeleteModel", request);
            return Task.FromResult(new DeleteModelResponse { ModelId = "mdl_" + request.Model });
        }

        public override Task<Job> VerifyModel(VerifyModelRequest request, ServerCallContext context)
        {
            S.Record("VerifyModel", request);
            return Task.FromResult(new Job { Id = "job_verify_model" });
        }

        public override async Task ExportModel(ExportModelRequest request, IServerStreamWriter<ExportModelResponse> responseStream, ServerCallContext context)
        {
            S.Record("ExportModel", request);
            byte[] content = S.Packages[request.Model];
            FileMetadata metadata = Metadata(request.Model + ".pt", content);
            metadata.Sha256 = S.AnnouncedModelSha256 ?? metadata.Sha256;
            await responseStream.WriteAsync(new ExportModelResponse { File = metadata });
            await S.SendChunksAsync(content, request.Offset, responseStream, chunk => new ExportModelResponse { Chunk = chunk }, context);
        }

        public override async Task<Model> ImportModel(IAsyncStreamReader<ImportModelRequest> requestStream, ServerCallContext context)
        {
            Assert.True(await requestStream.MoveNext());
            ImportModelHeader header = requestStream.Current.Header;
            S.Record("ImportModel", header);
            var received = new MemoryStream();
            while (await requestStream.MoveNext())
            {
                FileChunk chunk = requestStream.Current.Chunk;
                Assert.Equal(received.Length, chunk.Offset);
                received.Write(chunk.Data.Span);
                S.ReceivedChunks.Enqueue(("import:" + header.Name, chunk.Offset, chunk.Data.Length));
            }

            byte[] content = received.ToArray();
            Assert.Equal(header.Sha256, Sha256(content));
            S.Packages[header.Name] = content;
            return new Model { Id = "mdl_" + header.Name, Name = header.Name };
        }
    }

    private sealed class Predictions(Holder holder) : PredictionService.PredictionServiceBase
    {
        private ScriptedServer S => holder.Server;

        public override Task<Prediction> GetPrediction(GetPredictionRequest request, ServerCallContext context)
        {
            S.Record("GetPrediction", request);
            return Task.FromResult(new Prediction { Id = request.Prediction });
        }

        public override Task<ListPredictionsResponse> ListPredictions(ListPredictionsRequest request, ServerCallContext context)
        {
            S.Record("ListPredictions", request);
            return Task.FromResult(new ListPredictionsResponse { Predictions = { new Prediction { Id = "prd_1" } } });
        }

        public override Task<DeletePredictionResponse> DeletePrediction(DeletePredictionRequest request, ServerCallContext context)
        {
            S.Record("DeletePrediction", request);
            return Task.FromResult(new DeletePredictionResponse { PredictionId = request.Prediction });
        }

        public override async Task Predict(PredictRequest request, IServerStreamWriter<PredictResponse> responseStream, ServerCallContext context)
        {
            S.Record("Predict", request);
            await responseStream.WriteAsync(new PredictResponse { Prediction = new Prediction { Id = "prd_run" } });
            await responseStream.WriteAsync(new PredictResponse { Summary = new PredictionSummary() });
        }

        public override async Task ExportPrediction(ExportPredictionRequest request, IServerStreamWriter<ExportPredictionResponse> responseStream, ServerCallContext context)
        {
            S.Record("ExportPrediction", request);
            (byte[] content, string auxXml) = S.Exports[request.Prediction];
            await responseStream.WriteAsync(new ExportPredictionResponse { File = Metadata(request.Prediction + ".tif", content, auxXml) });
            await S.SendChunksAsync(content, 0, responseStream, chunk => new ExportPredictionResponse { Chunk = chunk }, context);
        }
    }
}

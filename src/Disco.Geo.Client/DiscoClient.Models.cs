using Disco.Geo.Protos.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Disco.Geo.Client;

public sealed partial class DiscoClient
{
    /// <summary>Lists models, oldest first.</summary>
    /// <param name="namePrefix">Only names starting with this, or null.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public IAsyncEnumerable<Model> ListModelsAsync(string? namePrefix = null, CancellationToken cancellationToken = default) =>
        PagesAsync(
            (token, o) => Models.ListModelsAsync(new ListModelsRequest { PageToken = token, NamePrefix = namePrefix ?? "" }, o),
            (ListModelsResponse r) => (r.Models, r.NextPageToken), cancellationToken);

    /// <summary>A model and its card, by id or name.</summary>
    /// <param name="model">Id (mdl_...) or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Model> GetModelAsync(string model, CancellationToken cancellationToken = default) =>
        UnaryAsync(o => Models.GetModelAsync(new GetModelRequest { Model = model }, o), cancellationToken);

    /// <summary>Deletes a model by id or name.</summary>
    /// <param name="model">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<DeleteModelResponse> DeleteModelAsync(string model, CancellationToken cancellationToken = default) =>
        UnaryAsync(o => Models.DeleteModelAsync(new DeleteModelRequest { Model = model }, o), cancellationToken);

    /// <summary>Starts a job that re-reads the model package and checks its SHA-256.</summary>
    /// <param name="model">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Job> VerifyModelAsync(string model, CancellationToken cancellationToken = default) =>
        UnaryAsync(o => Models.VerifyModelAsync(new VerifyModelRequest { Model = model }, o), cancellationToken);

    /// <summary>
    /// Writes a model package to <paramref name="destinationPath"/> (through a temporary file renamed at the end),
    /// resuming after broken connections, and checks its SHA-256.
    /// </summary>
    /// <param name="model">Id or name.</param>
    /// <param name="destinationPath">The package file to create or replace.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the export; nothing is left at the destination.</param>
    public async Task<FileMetadata> ExportModelAsync(string model, string destinationPath, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        string temporary = destinationPath + ".part";
        FileMetadata? metadata = null;
        try
        {
            await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                for (int failures = 0; ;)
                {
                    try
                    {
                        using AsyncServerStreamingCall<ExportModelResponse> call = Models.ExportModel(
                            new ExportModelRequest { Model = model, Offset = file.Position }, CallOptions(null, cancellationToken));
                        await foreach (ExportModelResponse message in call.ResponseStream.ReadAllAsync(cancellationToken))
                        {
                            if (message.File is { } info)
                            {
                                metadata = info;
                            }
                            else if (message.Chunk is { } chunk)
                            {
                                if (chunk.Offset != file.Position)
                                {
                                    throw new InvalidDataException($"The server sent offset {chunk.Offset}, expected {file.Position}.");
                                }

                                await file.WriteAsync(chunk.Data.Memory, cancellationToken);
                                failures = 0;
                                progress?.Report(new TransferProgress(TransferPhase.Transferring, file.Position, metadata?.SizeBytes ?? 0, 0));
                            }
                        }

                        break;
                    }
                    catch (RpcException e) when (IsTransient(e) && ++failures < _options.MaxAttempts && !cancellationToken.IsCancellationRequested)
                    {
                        await Task.Delay(Backoff(failures), cancellationToken);
                    }
                    catch (RpcException e) when (!(e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested))
                    {
                        throw new DiscoException(e);
                    }
                }

                await file.FlushAsync(cancellationToken);
            }

            if (metadata is null)
            {
                throw new InvalidDataException("The server ended the export without describing the package.");
            }

            string sha256 = await HashAsync(new FileInfo(temporary), null, cancellationToken);
            if (sha256 != metadata.Sha256)
            {
                throw new InvalidDataException($"The exported package has SHA-256 {sha256}, but the server announced {metadata.Sha256}; nothing was written.");
            }

            File.Move(temporary, destinationPath, overwrite: true);
            progress?.Report(new TransferProgress(TransferPhase.Complete, metadata.SizeBytes, metadata.SizeBytes, 0));
            return metadata;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Imports a model package file; its card must be readable. Importing the same package under the same name again returns the existing model.</summary>
    /// <param name="path">The package file.</param>
    /// <param name="name">Model name, or null for the name in the card.</param>
    /// <param name="progress">Hashing and transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the import; nothing is stored.</param>
    public async Task<Model> ImportModelAsync(string path, string? name = null, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new FileNotFoundException($"No file at {path}.", path);
        }

        string sha256 = await HashAsync(file, progress, cancellationToken);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                using AsyncClientStreamingCall<ImportModelRequest, Model> call = Models.ImportModel(CallOptions(null, cancellationToken));
                bool open = await TryWriteAsync(call.RequestStream, new ImportModelRequest { Header = new ImportModelHeader { Name = name ?? "", SizeBytes = file.Length, Sha256 = sha256 } }, cancellationToken);
                await using (var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan | FileOptions.Asynchronous))
                {
                    long offset = 0;
                    while (open && offset < file.Length)
                    {
                        byte[] buffer = new byte[(int)Math.Min(_options.ChunkBytes, file.Length - offset)];
                        int read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
                        if (read < buffer.Length)
                        {
                            throw new IOException($"{file.FullName} changed while it was being imported.");
                        }

                        if (!await TryWriteAsync(call.RequestStream, new ImportModelRequest { Chunk = new FileChunk { Offset = offset, Data = UnsafeByteOperations.UnsafeWrap(buffer) } }, cancellationToken))
                        {
                            break;
                        }

                        offset += read;
                        progress?.Report(new TransferProgress(TransferPhase.Transferring, offset, file.Length, 0));
                    }
                }

                try
                {
                    await call.RequestStream.CompleteAsync();
                }
                catch (Exception e) when (e is RpcException or InvalidOperationException or IOException && !cancellationToken.IsCancellationRequested)
                {
                }

                Model model = await call.ResponseAsync;
                progress?.Report(new TransferProgress(TransferPhase.Complete, file.Length, file.Length, 0));
                return model;
            }
            catch (RpcException e) when (IsTransient(e) && attempt < _options.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                progress?.Report(new TransferProgress(TransferPhase.Retrying, 0, file.Length, 0));
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
            catch (RpcException e) when (!(e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested))
            {
                throw new DiscoException(e);
            }
        }
    }
}

using Disco.Geo.Protos.V1;
using Grpc.Core;

namespace Disco.Geo.Client;

/// <summary>
/// Trained models on a Disco.Geo server: listing, cards, verification, and package export and import. Reached through
/// <see cref="DiscoClient.Models"/>; thread-safe.
/// </summary>
public sealed class ModelsClient
{
    private readonly DiscoCalls _calls;
    private readonly ModelService.ModelServiceClient _stub;

    internal ModelsClient(DiscoCalls calls, ModelService.ModelServiceClient stub)
    {
        _calls = calls;
        _stub = stub;
    }

    /// <summary>Lists models, oldest first.</summary>
    /// <param name="namePrefix">Only names starting with this, or null.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public IAsyncEnumerable<Model> ListAsync(string? namePrefix = null, CancellationToken cancellationToken = default) =>
        _calls.PagesAsync(
            (token, o) => _stub.ListModelsAsync(new ListModelsRequest { PageToken = token, NamePrefix = namePrefix ?? "" }, o),
            (ListModelsResponse r) => (r.Models, r.NextPageToken), cancellationToken);

    /// <summary>A model and its card, by id or name.</summary>
    /// <param name="model">Id (mdl_...) or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Model> GetAsync(string model, CancellationToken cancellationToken = default) =>
        _calls.UnaryAsync(o => _stub.GetModelAsync(new GetModelRequest { Model = model }, o), cancellationToken);

    /// <summary>Deletes a model by id or name.</summary>
    /// <param name="model">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<DeleteModelResponse> DeleteAsync(string model, CancellationToken cancellationToken = default) =>
        _calls.UnaryAsync(o => _stub.DeleteModelAsync(new DeleteModelRequest { Model = model }, o), cancellationToken);

    /// <summary>Starts a job that re-reads the model package and checks its SHA-256.</summary>
    /// <param name="model">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Job> VerifyAsync(string model, CancellationToken cancellationToken = default) =>
        _calls.UnaryAsync(o => _stub.VerifyModelAsync(new VerifyModelRequest { Model = model }, o), cancellationToken);

    /// <summary>
    /// Writes a model package to <paramref name="destinationPath"/> (through a temporary file renamed at the end),
    /// resuming after broken connections, and checks its SHA-256.
    /// </summary>
    /// <param name="model">Id or name.</param>
    /// <param name="destinationPath">The package file to create or replace.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the export; nothing is left at the destination.</param>
    public Task<FileMetadata> ExportAsync(string model, string destinationPath, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ExportAsync(model, destinationPath, ModelFileFormat.Package, progress, cancellationToken);

    /// <summary>
    /// Writes a model to <paramref name="destinationPath"/> as a package or, with <see cref="ModelFileFormat.Safetensors"/>,
    /// as safetensors weights with the model card in the file's metadata (for PyTorch); resumes and checks the SHA-256.
    /// </summary>
    /// <param name="model">Id or name.</param>
    /// <param name="destinationPath">The file to create or replace.</param>
    /// <param name="format">Package (the default) or safetensors.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the export; nothing is left at the destination.</param>
    public Task<FileMetadata> ExportAsync(string model, string destinationPath, ModelFileFormat format, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ChunkTransfer.ReceiveToFileAsync(
            _calls, (offset, o) => _stub.ExportModel(new ExportModelRequest { Model = model, Offset = offset, Format = format }, o),
            message => message.File, message => message.Chunk, destinationPath,
            resume: true, verifySha256: true, sidecar: false, progress, cancellationToken);

    /// <summary>Imports a model package file; its card must be readable. Importing the same package under the same name again returns the existing model.</summary>
    /// <param name="path">The package file.</param>
    /// <param name="name">Model name, or null for the name in the card.</param>
    /// <param name="progress">Hashing and transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the import; nothing is stored.</param>
    public Task<Model> ImportAsync(string path, string? name = null, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ImportAsync(path, name, ModelFileFormat.Unspecified, progress, cancellationToken);

    /// <summary>
    /// Imports a model package or a safetensors weights file carrying a model card in its metadata (unspecified: the
    /// server tells them apart by their first bytes). A safetensors file that does not fit its card is refused with
    /// INVALID_ARGUMENT naming each tensor at fault.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="name">Model name, or null for the name in the card.</param>
    /// <param name="format">The file's format, or unspecified to detect it.</param>
    /// <param name="progress">Hashing and transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the import; nothing is stored.</param>
    public async Task<Model> ImportAsync(string path, string? name, ModelFileFormat format, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new FileNotFoundException($"No file at {path}.", path);
        }

        string sha256 = await ChunkTransfer.HashAsync(file, progress, cancellationToken);
        var header = new ImportModelRequest { Header = new ImportModelHeader { Name = name ?? "", SizeBytes = file.Length, Sha256 = sha256, Format = format } };
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                // The server keeps nothing of a broken import, so every attempt sends the whole package.
                using AsyncClientStreamingCall<ImportModelRequest, Model> call = _stub.ImportModel(_calls.CallOptions(null, cancellationToken));
                Model model = await ChunkTransfer.SendFileAsync(
                    call, header, chunk => new ImportModelRequest { Chunk = chunk }, file, 0, _calls.Options.ChunkBytes, progress, cancellationToken);
                progress?.Report(new TransferProgress(TransferPhase.Complete, file.Length, file.Length, 0));
                return model;
            }
            catch (RpcException e) when (DiscoCalls.IsTransient(e) && attempt < _calls.Options.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                progress?.Report(new TransferProgress(TransferPhase.Retrying, 0, file.Length, 0));
                await Task.Delay(_calls.Backoff(attempt), cancellationToken);
            }
            catch (RpcException e) when (DiscoCalls.IsCancellation(e, cancellationToken))
            {
                throw new OperationCanceledException("The import was cancelled; nothing was stored.", e, cancellationToken);
            }
            catch (RpcException e)
            {
                throw new DiscoException(e);
            }
        }
    }
}

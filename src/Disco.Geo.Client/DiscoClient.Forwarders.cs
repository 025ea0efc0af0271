using Disco.Geo.Protos.V1;

namespace Disco.Geo.Client;

// The flat API from before the sub-clients, kept so existing callers compile unchanged. Each member only forwards;
// behaviour lives in the sub-clients.
public sealed partial class DiscoClient
{
    /// <summary>Same as <see cref="DatasetsClient.UploadFileAsync(string, string?, IProgress{TransferProgress}?, CancellationToken)"/> on <see cref="Datasets"/>.</summary>
    /// <param name="path">The local file.</param>
    /// <param name="name">Dataset name; null = the file name.</param>
    /// <param name="progress">Hashing and transfer progress, or null.</param>
    /// <param name="cancellationToken">Stops the upload; committed bytes stay on the server for a later resume.</param>
    public Task<UploadFileResponse> UploadFileAsync(string path, string? name = null, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Datasets.UploadFileAsync(path, name, progress, cancellationToken);

    /// <summary>Same as <see cref="DatasetsClient.UploadFileAsync(string, string?, string, IProgress{TransferProgress}?, CancellationToken)"/> on <see cref="Datasets"/>.</summary>
    /// <param name="path">The local file.</param>
    /// <param name="name">Dataset name; null = the file name.</param>
    /// <param name="knownSha256">The file's SHA-256 as 64 lowercase hex digits.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Stops the upload; committed bytes stay on the server for a later resume.</param>
    public Task<UploadFileResponse> UploadFileAsync(string path, string? name, string knownSha256, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Datasets.UploadFileAsync(path, name, knownSha256, progress, cancellationToken);

    /// <summary>Same as <see cref="DatasetsClient.ListAsync"/> on <see cref="Datasets"/>.</summary>
    /// <param name="kind">Only this kind, or Unspecified for all.</param>
    /// <param name="namePrefix">Only names starting with this, or null.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public IAsyncEnumerable<Dataset> ListDatasetsAsync(DatasetKind kind = DatasetKind.Unspecified, string? namePrefix = null, CancellationToken cancellationToken = default) =>
        Datasets.ListAsync(kind, namePrefix, cancellationToken);

    /// <summary>Same as <see cref="DatasetsClient.GetAsync"/> on <see cref="Datasets"/>.</summary>
    /// <param name="dataset">Id (ds_...) or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Dataset> GetDatasetAsync(string dataset, CancellationToken cancellationToken = default) =>
        Datasets.GetAsync(dataset, cancellationToken);

    /// <summary>Same as <see cref="DatasetsClient.DeleteAsync"/> on <see cref="Datasets"/>.</summary>
    /// <param name="dataset">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<DeleteDatasetResponse> DeleteDatasetAsync(string dataset, CancellationToken cancellationToken = default) =>
        Datasets.DeleteAsync(dataset, cancellationToken);

    /// <summary>Same as <see cref="DatasetsClient.IngestAsync"/> on <see cref="Datasets"/>.</summary>
    /// <param name="request">Source, grid and bands.</param>
    /// <param name="cancellationToken">Cancels the call (not the job).</param>
    public Task<Job> IngestDatasetAsync(IngestDatasetRequest request, CancellationToken cancellationToken = default) =>
        Datasets.IngestAsync(request, cancellationToken);

    /// <summary>Same as <see cref="DatasetsClient.VerifyAsync"/> on <see cref="Datasets"/>.</summary>
    /// <param name="dataset">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Job> VerifyDatasetAsync(string dataset, CancellationToken cancellationToken = default) =>
        Datasets.VerifyAsync(dataset, cancellationToken);

    /// <summary>Same as <see cref="DatasetsClient.DownloadAsync"/> on <see cref="Datasets"/>.</summary>
    /// <param name="dataset">Id or name of a raw dataset.</param>
    /// <param name="destination">Receives the bytes from its current position.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    public Task<Dataset> DownloadDatasetAsync(string dataset, Stream destination, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Datasets.DownloadAsync(dataset, destination, progress, cancellationToken);

    /// <summary>Same as <see cref="DatasetsClient.ExportAsync"/> on <see cref="Datasets"/>.</summary>
    /// <param name="dataset">Id or name of a gridded dataset.</param>
    /// <param name="destinationPath">The file to create or replace.</param>
    /// <param name="format">COG (default) or GeoTIFF.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the export.</param>
    public Task<FileMetadata> ExportDatasetAsync(string dataset, string destinationPath, ExportFormat format = ExportFormat.Cog,
        IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Datasets.ExportAsync(dataset, destinationPath, format, progress, cancellationToken);

    /// <summary>Same as <see cref="DatasetsClient.SaveAsync"/> on <see cref="Datasets"/>.</summary>
    /// <param name="dataset">Id or name.</param>
    /// <param name="destinationPath">The file to create or replace.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The dataset and the size of the written file in bytes.</returns>
    public Task<(Dataset Dataset, long Bytes)> SaveDatasetAsync(string dataset, string destinationPath, IProgress<TransferProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        Datasets.SaveAsync(dataset, destinationPath, progress, cancellationToken);

    /// <summary>Same as <see cref="DatasetsClient.DownloadTilesAsync"/> on <see cref="Datasets"/>.</summary>
    /// <param name="dataset">Id or name of a gridded dataset.</param>
    /// <param name="rowsPerTile">Rows per tile, 0 = the server's choice.</param>
    /// <param name="cancellationToken">Stops the stream.</param>
    public IAsyncEnumerable<Tile> DownloadTilesAsync(string dataset, int rowsPerTile = 0, CancellationToken cancellationToken = default) =>
        Datasets.DownloadTilesAsync(dataset, rowsPerTile, cancellationToken);

    /// <summary>Same as <see cref="DatasetsClient.SuggestName"/>.</summary>
    /// <param name="fileName">The file name.</param>
    public static string SuggestName(string fileName) => DatasetsClient.SuggestName(fileName);

    /// <summary>Lower-case hex SHA-256 of a file, read in chunks of <see cref="DiscoClientOptions.TransferChunkBytes"/>.</summary>
    /// <param name="file">The file.</param>
    /// <param name="progress">Hashing progress, or null.</param>
    /// <param name="cancellationToken">Cancels hashing.</param>
    public static Task<string> HashAsync(FileInfo file, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        ChunkTransfer.HashAsync(file, progress, cancellationToken);

    /// <summary>Same as <see cref="JobsClient.StartTrainingAsync"/> on <see cref="Jobs"/>.</summary>
    /// <param name="request">Datasets, task, model configuration and hyper-parameters.</param>
    /// <param name="cancellationToken">Cancels the call (not the job).</param>
    public Task<Job> StartTrainingAsync(StartTrainingRequest request, CancellationToken cancellationToken = default) =>
        Jobs.StartTrainingAsync(request, cancellationToken);

    /// <summary>Same as <see cref="JobsClient.WatchAsync"/> on <see cref="Jobs"/>.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="cancellationToken">Stops watching (the job goes on).</param>
    public IAsyncEnumerable<Job> WatchJobAsync(string jobId, CancellationToken cancellationToken = default) =>
        Jobs.WatchAsync(jobId, cancellationToken);

    /// <summary>Same as <see cref="JobsClient.WaitAsync"/> on <see cref="Jobs"/>.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="progress">Receives each state, or null.</param>
    /// <param name="cancellationToken">Stops waiting (the job goes on).</param>
    public Task<Job> WaitForJobAsync(string jobId, IProgress<Job>? progress = null, CancellationToken cancellationToken = default) =>
        Jobs.WaitAsync(jobId, progress, cancellationToken);

    /// <summary>Same as <see cref="JobsClient.GetAsync"/> on <see cref="Jobs"/>.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Job> GetJobAsync(string jobId, CancellationToken cancellationToken = default) =>
        Jobs.GetAsync(jobId, cancellationToken);

    /// <summary>Same as <see cref="JobsClient.CancelAsync"/> on <see cref="Jobs"/>.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Job> CancelJobAsync(string jobId, CancellationToken cancellationToken = default) =>
        Jobs.CancelAsync(jobId, cancellationToken);

    /// <summary>Same as <see cref="JobsClient.ResumeAsync"/> on <see cref="Jobs"/>.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Job> ResumeJobAsync(string jobId, CancellationToken cancellationToken = default) =>
        Jobs.ResumeAsync(jobId, cancellationToken);

    /// <summary>Same as <see cref="JobsClient.ListAsync"/> on <see cref="Jobs"/>.</summary>
    /// <param name="kind">Only this kind, or Unspecified.</param>
    /// <param name="state">Only this state, or Unspecified.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public IAsyncEnumerable<Job> ListJobsAsync(JobKind kind = JobKind.Unspecified, JobState state = JobState.Unspecified, CancellationToken cancellationToken = default) =>
        Jobs.ListAsync(kind, state, cancellationToken);

    /// <summary>Same as <see cref="JobsClient.IsFinal"/>.</summary>
    /// <param name="state">The state.</param>
    public static bool IsFinal(JobState state) => JobsClient.IsFinal(state);

    /// <summary>Same as <see cref="ModelsClient.ListAsync"/> on <see cref="Models"/>.</summary>
    /// <param name="namePrefix">Only names starting with this, or null.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public IAsyncEnumerable<Model> ListModelsAsync(string? namePrefix = null, CancellationToken cancellationToken = default) =>
        Models.ListAsync(namePrefix, cancellationToken);

    /// <summary>Same as <see cref="ModelsClient.GetAsync"/> on <see cref="Models"/>.</summary>
    /// <param name="model">Id (mdl_...) or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Model> GetModelAsync(string model, CancellationToken cancellationToken = default) =>
        Models.GetAsync(model, cancellationToken);

    /// <summary>Same as <see cref="ModelsClient.DeleteAsync"/> on <see cref="Models"/>.</summary>
    /// <param name="model">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<DeleteModelResponse> DeleteModelAsync(string model, CancellationToken cancellationToken = default) =>
        Models.DeleteAsync(model, cancellationToken);

    /// <summary>Same as <see cref="ModelsClient.VerifyAsync"/> on <see cref="Models"/>.</summary>
    /// <param name="model">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Job> VerifyModelAsync(string model, CancellationToken cancellationToken = default) =>
        Models.VerifyAsync(model, cancellationToken);

    /// <summary>Same as <see cref="ModelsClient.ExportAsync(string, string, IProgress{TransferProgress}?, CancellationToken)"/> on <see cref="Models"/>.</summary>
    /// <param name="model">Id or name.</param>
    /// <param name="destinationPath">The package file to create or replace.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the export; nothing is left at the destination.</param>
    public Task<FileMetadata> ExportModelAsync(string model, string destinationPath, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Models.ExportAsync(model, destinationPath, progress, cancellationToken);

    /// <summary>Same as <see cref="ModelsClient.ImportAsync(string, string?, IProgress{TransferProgress}?, CancellationToken)"/> on <see cref="Models"/>.</summary>
    /// <param name="path">The package file.</param>
    /// <param name="name">Model name, or null for the name in the card.</param>
    /// <param name="progress">Hashing and transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the import; nothing is stored.</param>
    public Task<Model> ImportModelAsync(string path, string? name = null, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Models.ImportAsync(path, name, progress, cancellationToken);

    /// <summary>Same as <see cref="PredictionsClient.PredictAsync"/> on <see cref="Predictions"/>.</summary>
    /// <param name="request">Model, input and options.</param>
    /// <param name="cancellationToken">Stops reading; the prediction itself goes on on the server.</param>
    public IAsyncEnumerable<PredictResponse> PredictAsync(PredictRequest request, CancellationToken cancellationToken = default) =>
        Predictions.PredictAsync(request, cancellationToken);

    /// <summary>Same as <see cref="PredictionsClient.PredictToArrayAsync"/> on <see cref="Predictions"/>.</summary>
    /// <param name="request">Model, input and options (stream_tiles is forced on).</param>
    /// <param name="progress">Receives the fraction of rows received, or null.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public Task<PredictionArray> PredictToArrayAsync(PredictRequest request, IProgress<double>? progress = null, CancellationToken cancellationToken = default) =>
        Predictions.PredictToArrayAsync(request, progress, cancellationToken);

    /// <summary>Same as <see cref="PredictionsClient.GetAsync"/> on <see cref="Predictions"/>.</summary>
    /// <param name="prediction">Id (prd_...) or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Prediction> GetPredictionAsync(string prediction, CancellationToken cancellationToken = default) =>
        Predictions.GetAsync(prediction, cancellationToken);

    /// <summary>Same as <see cref="PredictionsClient.ListAsync"/> on <see cref="Predictions"/>.</summary>
    /// <param name="modelId">Only of this model, or null.</param>
    /// <param name="requestId">Only with this request id, or null.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public IAsyncEnumerable<Prediction> ListPredictionsAsync(string? modelId = null, string? requestId = null, CancellationToken cancellationToken = default) =>
        Predictions.ListAsync(modelId, requestId, cancellationToken);

    /// <summary>Same as <see cref="PredictionsClient.DeleteAsync"/> on <see cref="Predictions"/>.</summary>
    /// <param name="prediction">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<DeletePredictionResponse> DeletePredictionAsync(string prediction, CancellationToken cancellationToken = default) =>
        Predictions.DeleteAsync(prediction, cancellationToken);

    /// <summary>Same as <see cref="PredictionsClient.ExportAsync(string, ExportFormat, string, IProgress{TransferProgress}?, CancellationToken)"/> on <see cref="Predictions"/>, without progress.</summary>
    /// <param name="prediction">Id or name.</param>
    /// <param name="format">GeoTIFF, COG, GeoJSON or PNG.</param>
    /// <param name="destinationPath">The file to create or replace.</param>
    /// <param name="cancellationToken">Cancels the export; nothing is left at the destination.</param>
    public Task<FileMetadata> ExportPredictionAsync(string prediction, ExportFormat format, string destinationPath, CancellationToken cancellationToken = default) =>
        Predictions.ExportAsync(prediction, format, destinationPath, null, cancellationToken);
}

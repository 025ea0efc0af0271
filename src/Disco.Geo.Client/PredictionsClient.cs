using System.Runtime.CompilerServices;
using Disco.Geo.Protos.V1;
using Grpc.Core;

namespace Disco.Geo.Client;

/// <summary>
/// Predictions on a Disco.Geo server: running them (streamed or assembled into one array), listing, deleting and
/// exporting them as files. Reached through <see cref="DiscoClient.Predictions"/>; thread-safe.
/// </summary>
public sealed class PredictionsClient
{
    private readonly DiscoCalls _calls;
    private readonly PredictionService.PredictionServiceClient _stub;
    private readonly ModelsClient _models;

    internal PredictionsClient(DiscoCalls calls, PredictionService.PredictionServiceClient stub, ModelsClient models)
    {
        _calls = calls;
        _stub = stub;
        _models = models;
    }

    /// <summary>
    /// Runs a prediction and yields the server's messages: the prediction record, tiles, progress, and the summary. A
    /// request id is added when missing, so every retry carries the same id: a prediction a replica finished is
    /// replayed, and one it started is followed, or taken over once that replica is gone.
    /// </summary>
    /// <remarks>
    /// A stream that breaks with UNAVAILABLE (its replica went away, even after it began answering) is sent again,
    /// up to <see cref="DiscoClientOptions.MaxAttempts"/> times, and reaches another replica when several addresses
    /// are given. The retried stream starts over: the prediction record again, then every tile from the first row, so
    /// a caller that collects tiles by their rows (as <see cref="PredictToArrayAsync"/> does) gets each row once.
    /// </remarks>
    /// <param name="request">Model, input and options.</param>
    /// <param name="cancellationToken">Stops reading; the prediction itself goes on on the server.</param>
    public IAsyncEnumerable<PredictResponse> PredictAsync(PredictRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequestId.Length == 0)
        {
            request = request.Clone();
            request.RequestId = Guid.NewGuid().ToString("N");
        }

        return PredictWithRetriesAsync(request, cancellationToken);
    }

    private async IAsyncEnumerable<PredictResponse> PredictWithRetriesAsync(PredictRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            IAsyncEnumerator<PredictResponse> messages = _calls.StreamAsync(o => _stub.Predict(request, o), cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await messages.MoveNextAsync();
                    }
                    catch (DiscoException e) when (attempt < _calls.Options.MaxAttempts && e.InnerException is RpcException rpc && DiscoCalls.IsTransient(rpc))
                    {
                        // The replica went away mid-answer: the same request id elsewhere replays or takes it over.
                        break;
                    }

                    if (!more)
                    {
                        yield break;
                    }

                    yield return messages.Current;
                }
            }
            finally
            {
                await messages.DisposeAsync();
            }

            await Task.Delay(_calls.Backoff(attempt), cancellationToken);
        }
    }

    /// <summary>Runs a prediction with tiles streamed and assembles them into one array on the prediction's grid.</summary>
    /// <param name="request">Model, input and options (stream_tiles is forced on).</param>
    /// <param name="progress">Receives the fraction of rows received, or null.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public async Task<PredictionArray> PredictToArrayAsync(PredictRequest request, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request = request.Clone();
        request.StreamTiles = true;
        Prediction? prediction = null;
        PredictionSummary? summary = null;
        Model model = await _models.GetAsync(request.Model, cancellationToken);
        var assembler = new TileAssembler(model.Grid?.Nlat ?? 0, model.Grid?.Nlon ?? 0);
        await foreach (PredictResponse message in PredictAsync(request, cancellationToken))
        {
            switch (message.MessageCase)
            {
                case PredictResponse.MessageOneofCase.Prediction:
                    prediction = message.Prediction;
                    break;
                case PredictResponse.MessageOneofCase.Tile:
                    assembler.Add(message.Tile);
                    progress?.Report(assembler.FractionOfRows);
                    break;
                case PredictResponse.MessageOneofCase.Summary:
                    summary = message.Summary;
                    break;
            }
        }

        return new PredictionArray(
            prediction ?? throw new InvalidDataException("The server ended the prediction without its record."),
            summary ?? new PredictionSummary(), assembler.Bands, assembler.Rows, assembler.Columns, assembler.Values, assembler.Mask);
    }

    /// <summary>A prediction by id or name.</summary>
    /// <param name="prediction">Id (prd_...) or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Prediction> GetAsync(string prediction, CancellationToken cancellationToken = default) =>
        _calls.UnaryAsync(o => _stub.GetPredictionAsync(new GetPredictionRequest { Prediction = prediction }, o), cancellationToken);

    /// <summary>Lists predictions, oldest first.</summary>
    /// <param name="modelId">Only of this model, or null.</param>
    /// <param name="requestId">Only with this request id, or null.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public IAsyncEnumerable<Prediction> ListAsync(string? modelId = null, string? requestId = null, CancellationToken cancellationToken = default) =>
        _calls.PagesAsync(
            (token, o) => _stub.ListPredictionsAsync(new ListPredictionsRequest { PageToken = token, ModelId = modelId ?? "", RequestId = requestId ?? "" }, o),
            (ListPredictionsResponse r) => (r.Predictions, r.NextPageToken), cancellationToken);

    /// <summary>Deletes a prediction by id or name.</summary>
    /// <param name="prediction">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<DeletePredictionResponse> DeleteAsync(string prediction, CancellationToken cancellationToken = default) =>
        _calls.UnaryAsync(o => _stub.DeletePredictionAsync(new DeletePredictionRequest { Prediction = prediction }, o), cancellationToken);

    /// <summary>
    /// Exports a finished prediction to a file (written to a temporary name, checked, then renamed). GeoTIFF and COG
    /// class maps come with GDAL's sidecar, written as destinationPath.aux.xml, so GIS software shows the class names.
    /// Every export also writes the prediction's STAC Item beside the file as NAME.stac.json (NAME: the file name
    /// without its extension); exports of one prediction to the same NAME in several formats share that Item.
    /// </summary>
    /// <param name="prediction">Id or name.</param>
    /// <param name="format">GeoTIFF, COG, GeoJSON or PNG.</param>
    /// <param name="destinationPath">The file to create or replace.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the export; nothing is left at the destination.</param>
    public Task<FileMetadata> ExportAsync(string prediction, ExportFormat format, string destinationPath, IProgress<TransferProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        ExportAsync(new ExportPredictionRequest { Prediction = prediction, Format = format }, destinationPath, progress, cancellationToken);

    /// <summary>
    /// Exports a finished prediction as the request says (format, and for GeoTIFF, COG and PNG an output size), to a
    /// file written like <see cref="ExportAsync(string, ExportFormat, string, IProgress{TransferProgress}?, CancellationToken)"/>.
    /// </summary>
    /// <param name="request">Prediction, format, and width and height (0 = the grid's own).</param>
    /// <param name="destinationPath">The file to create or replace.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the export; nothing is left at the destination.</param>
    public Task<FileMetadata> ExportAsync(ExportPredictionRequest request, string destinationPath, IProgress<TransferProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        ChunkTransfer.ReceiveToFileAsync(
            _calls, (_, o) => _stub.ExportPrediction(request, o),
            message => message.File, message => message.Chunk, destinationPath,
            resume: false, verifySha256: false, sidecar: true, progress, cancellationToken);
}

using System.Runtime.CompilerServices;
using Disco.Geo.Protos.V1;
using Grpc.Core;

namespace Disco.Geo.Client;

public sealed partial class DiscoClient
{
    /// <summary>Runs a prediction and yields the server's messages: the prediction record, tiles, progress, and the summary.</summary>
    /// <param name="request">Model, input and options.</param>
    /// <param name="cancellationToken">Stops reading; the prediction itself goes on on the server.</param>
    public async IAsyncEnumerable<PredictResponse> PredictAsync(PredictRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using AsyncServerStreamingCall<PredictResponse> call = Predictions.Predict(request, CallOptions(null, cancellationToken));
        IAsyncEnumerator<PredictResponse> messages = call.ResponseStream.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (await MoveNextAsync(messages))
            {
                yield return messages.Current;
            }
        }
        finally
        {
            await messages.DisposeAsync();
        }
    }

    /// <summary>Runs a prediction with tiles streamed and assembles them into one array on the prediction's grid.</summary>
    /// <param name="request">Model, input and options (stream_tiles is forced on).</param>
    /// <param name="progress">Receives the fraction of rows received, or null.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public async Task<PredictionArray> PredictToArrayAsync(PredictRequest request, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        request = request.Clone();
        request.StreamTiles = true;
        Prediction? prediction = null;
        PredictionSummary? summary = null;
        Model model = await GetModelAsync(request.Model, cancellationToken);
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
    public Task<Prediction> GetPredictionAsync(string prediction, CancellationToken cancellationToken = default) =>
        UnaryAsync(o => Predictions.GetPredictionAsync(new GetPredictionRequest { Prediction = prediction }, o), cancellationToken);

    /// <summary>Lists predictions, oldest first.</summary>
    /// <param name="modelId">Only of this model, or null.</param>
    /// <param name="requestId">Only with this request id, or null.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public IAsyncEnumerable<Prediction> ListPredictionsAsync(string? modelId = null, string? requestId = null, CancellationToken cancellationToken = default) =>
        PagesAsync(
            (token, o) => Predictions.ListPredictionsAsync(new ListPredictionsRequest { PageToken = token, ModelId = modelId ?? "", RequestId = requestId ?? "" }, o),
            (ListPredictionsResponse r) => (r.Predictions, r.NextPageToken), cancellationToken);

    /// <summary>Deletes a prediction by id or name.</summary>
    /// <param name="prediction">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<DeletePredictionResponse> DeletePredictionAsync(string prediction, CancellationToken cancellationToken = default) =>
        UnaryAsync(o => Predictions.DeletePredictionAsync(new DeletePredictionRequest { Prediction = prediction }, o), cancellationToken);

    /// <summary>
    /// Exports a finished prediction to a file (written to a temporary name, checked, then renamed). GeoTIFF and COG
    /// class maps come with GDAL's sidecar, written as destinationPath.aux.xml, so GIS software shows the class names.
    /// </summary>
    /// <param name="prediction">Id or name.</param>
    /// <param name="format">GeoTIFF, COG, GeoJSON or PNG.</param>
    /// <param name="destinationPath">The file to create or replace.</param>
    /// <param name="cancellationToken">Cancels the export; nothing is left at the destination.</param>
    public Task<FileMetadata> ExportPredictionAsync(string prediction, ExportFormat format, string destinationPath, CancellationToken cancellationToken = default) =>
        ReceiveFileAsync(
            options => Predictions.ExportPrediction(new ExportPredictionRequest { Prediction = prediction, Format = format }, options),
            message => message.File, message => message.Chunk, destinationPath, null, cancellationToken);

    /// <summary>
    /// Receives a streamed file into DESTINATION.part, checks its size, renames it into place and writes GDAL's
    /// sidecar (class names, attribute table) as DESTINATION.aux.xml when the server sent one. Nothing is left behind
    /// on failure; server errors become <see cref="DiscoException"/>.
    /// </summary>
    private async Task<FileMetadata> ReceiveFileAsync<TResponse>(
        Func<CallOptions, AsyncServerStreamingCall<TResponse>> start, Func<TResponse, FileMetadata?> file, Func<TResponse, FileChunk?> chunk,
        string destinationPath, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        string temporary = destinationPath + ".part";
        FileMetadata? metadata = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                using AsyncServerStreamingCall<TResponse> call = start(CallOptions(null, cancellationToken));
                IAsyncEnumerator<TResponse> messages = call.ResponseStream.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
                try
                {
                    while (await MoveNextAsync(messages))
                    {
                        if (file(messages.Current) is { } info)
                        {
                            metadata = info;
                        }
                        else if (chunk(messages.Current) is { } data)
                        {
                            if (data.Offset != output.Length)
                            {
                                throw new InvalidDataException($"The server sent offset {data.Offset}, expected {output.Length}; nothing was written.");
                            }

                            await output.WriteAsync(data.Data.Memory, cancellationToken);
                            progress?.Report(new TransferProgress(TransferPhase.Transferring, output.Length, metadata?.SizeBytes ?? 0,
                                output.Length / Math.Max(clock.Elapsed.TotalSeconds, 1e-3)));
                        }
                    }
                }
                finally
                {
                    await messages.DisposeAsync();
                }
            }

            if (metadata is null || new FileInfo(temporary).Length != metadata.SizeBytes)
            {
                throw new InvalidDataException("The export ended early; nothing was written.");
            }

            File.Move(temporary, destinationPath, overwrite: true);
            string sidecar = destinationPath + ".aux.xml";
            if (metadata.AuxXml.Length > 0)
            {
                await File.WriteAllTextAsync(sidecar, metadata.AuxXml, cancellationToken);
            }
            else
            {
                // A sidecar left from an earlier file of that name would describe the wrong raster.
                File.Delete(sidecar);
            }

            progress?.Report(new TransferProgress(TransferPhase.Complete, metadata.SizeBytes, metadata.SizeBytes, 0));
            return metadata;
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}

/// <summary>A prediction map assembled from its tiles.</summary>
/// <param name="Prediction">The prediction record.</param>
/// <param name="Summary">Class areas and statistics.</param>
/// <param name="Bands">Number of bands.</param>
/// <param name="Rows">Grid rows (nlat).</param>
/// <param name="Columns">Grid columns (nlon).</param>
/// <param name="Values">Values [bands, rows, columns], row-major.</param>
/// <param name="Mask">Validity [rows, columns]: 1 valid, 0 no data or not received.</param>
public sealed record PredictionArray(Prediction Prediction, PredictionSummary Summary, int Bands, int Rows, int Columns, float[] Values, byte[] Mask);

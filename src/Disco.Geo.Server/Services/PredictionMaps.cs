using Disco.Geo.Engine;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Application.Predictions;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;

namespace Disco.Geo.Server.Services;

/// <summary>
/// Reads a finished prediction's map from its stored records. It maps wire records (the catalog stores them), so it
/// sits in the Api layer until the catalog hands out records of its own; the /tiles endpoint reaches it through
/// <see cref="IPredictionMaps"/>.
/// </summary>
internal sealed class PredictionMaps(Catalog catalog, BlobStore blobs) : IPredictionMaps
{
    public async Task<PredictionMap?> FindFinishedAsync(string predictionId, CancellationToken cancellationToken) =>
        await catalog.FindAsync(catalog.Predictions, Ids.Prediction, predictionId, cancellationToken) is { } prediction
            ? await MapAsync(prediction, cancellationToken)
            : null;

    /// <summary>The finished map of a prediction, or FAILED_PRECONDITION while it is not finished.</summary>
    public async Task<PredictionMap> MapAsync(Prediction prediction, CancellationToken cancellationToken)
    {
        if (prediction.State != PredictionState.Succeeded || prediction.Blob is null)
        {
            throw Problem.FailedPrecondition("PREDICTION_STATE", prediction.Id, $"Prediction {prediction.Id} is {prediction.State.ToString().ToLowerInvariant()}; only finished predictions have a map.");
        }

        Model model = await catalog.FindAsync(catalog.Models, Ids.Model, prediction.ModelId, cancellationToken) ?? new Model { Id = prediction.ModelId };
        return PredictionMapping.ToMap(prediction, blobs.PathOf(prediction.Blob.Sha256), model);
    }
}

using Disco.Geo.Engine;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Application.Predictions;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;

namespace Disco.Geo.Server.Services;

/// <summary>
/// Reads a finished prediction's map from its stored records. The engine's map is built by the wire mapping
/// (<see cref="PredictionMapping.ToMap"/>), so this sits in the Api layer; the /tiles endpoint reaches it through
/// <see cref="IPredictionMaps"/>.
/// </summary>
internal sealed class PredictionMaps(ICatalog catalog, IBlobStore blobs) : IPredictionMaps
{
    public async Task<PredictionMap?> FindFinishedAsync(string predictionId, CancellationToken cancellationToken) =>
        await catalog.FindPredictionAsync(predictionId, cancellationToken) is { } prediction
            ? await MapAsync(prediction.ToApi(), cancellationToken)
            : null;

    /// <summary>The finished map of a prediction, or FAILED_PRECONDITION while it is not finished.</summary>
    public async Task<PredictionMap> MapAsync(Prediction prediction, CancellationToken cancellationToken)
    {
        if (prediction.State != PredictionState.Succeeded || prediction.Blob is null)
        {
            throw Problem.FailedPrecondition("PREDICTION_STATE", prediction.Id, $"Prediction {prediction.Id} is {prediction.State.ToString().ToLowerInvariant()}; only finished predictions have a map.");
        }

        Model model = (await catalog.FindModelAsync(prediction.ModelId, cancellationToken))?.ToApi() ?? new Model { Id = prediction.ModelId };
        return PredictionMapping.ToMap(prediction, blobs.PathOf(prediction.Blob.Sha256), model);
    }
}

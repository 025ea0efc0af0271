using Disco.Geo.Engine;

namespace Disco.Geo.Server.Application.Predictions;

/// <summary>
/// The finished maps of predictions, as the export and map-tile engines read them. The /tiles endpoint and the export
/// call both need one; neither may reach into the other, so they meet here.
/// </summary>
internal interface IPredictionMaps
{
    /// <summary>
    /// The finished map of the prediction with this id, or null when there is no such prediction. Throws
    /// FAILED_PRECONDITION (PREDICTION_STATE) while the prediction is not finished.
    /// </summary>
    Task<PredictionMap?> FindFinishedAsync(string predictionId, CancellationToken cancellationToken);
}

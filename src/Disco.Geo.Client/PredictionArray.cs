using Disco.Geo.Protos.V1;

namespace Disco.Geo.Client;

/// <summary>A prediction map assembled from its tiles.</summary>
/// <param name="Prediction">The prediction record.</param>
/// <param name="Summary">Class areas and statistics.</param>
/// <param name="Bands">Number of bands.</param>
/// <param name="Rows">Grid rows (nlat).</param>
/// <param name="Columns">Grid columns (nlon).</param>
/// <param name="Values">Values [bands, rows, columns], row-major.</param>
/// <param name="Mask">Validity [rows, columns]: 1 valid, 0 no data or not received.</param>
public sealed record PredictionArray(Prediction Prediction, PredictionSummary Summary, int Bands, int Rows, int Columns, float[] Values, byte[] Mask);

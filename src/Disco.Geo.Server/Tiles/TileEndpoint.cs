using Disco.Geo.Engine;
using Disco.Geo.Server.Application.Predictions;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;

namespace Disco.Geo.Server.Tiles;

/// <summary>
/// GET|HEAD /tiles/{predictionId}/{tileMatrixSet}/{z}/{x}/{y}.{png|webp}: finished prediction maps as map tiles, usable
/// from QGIS (XYZ or WMTS layer), GDAL, MapLibre and Leaflet. Refusals are plain text, as morecantile/TiTiler give
/// them: an unknown tile matrix set or format and a tile outside the matrix are 404, like a tile nobody has.
/// </summary>
internal static class TileEndpoint
{
    public const string Route = "/tiles/{predictionId}/{tileMatrixSet}/{z:int}/{x:long}/{y:long}.{format}";

    public static async Task<IResult> GetAsync(
        string predictionId, string tileMatrixSet, int z, long x, long y, string format, HttpContext context, IPredictionMaps maps, IMapTileRenderer renderer,
        CancellationToken cancellationToken)
    {
        if (!TileMatrixSets.IsKnown(tileMatrixSet))
        {
            return ImmutableResponses.Text(404, TileMatrixSets.UnknownText(tileMatrixSet));
        }

        if (!TileFormats.IsKnown(format) || !renderer.SupportsFormat(format))
        {
            return ImmutableResponses.Text(404, TileFormats.UnavailableText(format, renderer));
        }

        if (z < 0 || z > TileMatrixSets.MaxZoom)
        {
            return ImmutableResponses.Text(404, $"Zoom level {z} is not in the {tileMatrixSet} tile matrix set: it has levels 0..{TileMatrixSets.MaxZoom}.\n");
        }

        (long columns, long rows) = TileMatrixSets.MatrixSize(tileMatrixSet, z);
        if (x < 0 || y < 0 || x >= columns || y >= rows)
        {
            return ImmutableResponses.Text(404, $"Tile {z}/{x}/{y} is outside the {tileMatrixSet} tile matrix {z}: x is 0..{columns - 1} and y is 0..{rows - 1}.\n");
        }

        (PredictionMap? map, IResult? refusal) = await FindAsync(predictionId, maps, cancellationToken);
        if (map is null)
        {
            return refusal!;
        }

        byte[]? image = await renderer.RenderTileAsync(
            new MapTileRequest(map, tileMatrixSet, z, (int)x, (int)y, TileMatrixSets.Bounds(tileMatrixSet, z, x, y), TileMatrixSets.TileSize, format), cancellationToken);
        return image is null
            ? ImmutableResponses.Text(404, $"Tile {z}/{x}/{y} lies outside the map of {predictionId}: the map has no data there.\n")
            : ImmutableResponses.Content(context, image, TileFormats.MediaType(format));
    }

    /// <summary>
    /// The finished map of a prediction, or the plain-text refusal: 404 for an unknown prediction, 409 with the
    /// prediction's state while it is not finished (the client may ask again later).
    /// </summary>
    public static async Task<(PredictionMap? Map, IResult? Refusal)> FindAsync(string predictionId, IPredictionMaps maps, CancellationToken cancellationToken)
    {
        try
        {
            PredictionMap? map = Ids.IsId(Ids.Prediction, predictionId) ? await maps.FindFinishedAsync(predictionId, cancellationToken) : null;
            return map is null
                ? (null, ImmutableResponses.Text(404, $"No prediction '{ClientText.Shorten(predictionId)}'.{Problem.ListHint("prediction")}\n"))
                : (map, null);
        }
        catch (ProblemException e)
        {
            return (null, ImmutableResponses.Text(409, e.Message + "\n"));
        }
    }
}

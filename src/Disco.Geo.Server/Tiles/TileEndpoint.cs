using Disco.Geo.Engine;
using Disco.Geo.Server.Application.Predictions;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;

namespace Disco.Geo.Server.Tiles;

/// <summary>
/// GET /tiles/{predictionId}/{tileMatrixSet}/{z}/{x}/{y}.png: finished prediction maps as PNG map tiles, usable from
/// QGIS as an XYZ layer (http://host:port/tiles/prd_.../WebMercatorQuad/{z}/{x}/{y}.png) or from GDAL's WMS/TMS driver.
/// </summary>
internal static class TileEndpoint
{
    public const string Route = "/tiles/{predictionId}/{tileMatrixSet}/{z:int}/{x:long}/{y:long}.png";

    private static IResult Text(int status, string message) => Results.Text(message, "text/plain; charset=utf-8", statusCode: status);

    public static async Task<IResult> GetAsync(
        string predictionId, string tileMatrixSet, int z, long x, long y, IPredictionMaps maps, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (!TileMatrixSets.IsKnown(tileMatrixSet))
        {
            return Text(404, $"Unknown tile matrix set '{ClientText.Shorten(tileMatrixSet)}'; use {TileMatrixSets.WebMercatorQuad} or {TileMatrixSets.WorldCrs84Quad}.\n");
        }

        if (z < 0 || z > TileMatrixSets.MaxZoom)
        {
            return Text(400, $"Zoom level {z} is outside 0..{TileMatrixSets.MaxZoom}.\n");
        }

        (long columns, long rows) = TileMatrixSets.MatrixSize(tileMatrixSet, z);
        if (x < 0 || y < 0 || x >= columns || y >= rows)
        {
            return Text(400, $"Tile {x}/{y} is outside the {columns} x {rows} matrix of zoom level {z}.\n");
        }

        PredictionMap? map;
        try
        {
            map = Ids.IsId(Ids.Prediction, predictionId) ? await maps.FindFinishedAsync(predictionId, cancellationToken) : null;
        }
        catch (ProblemException e)
        {
            return Text(409, e.Message + "\n");
        }

        if (map is null)
        {
            return Text(404, $"No prediction '{ClientText.Shorten(predictionId)}'.{Problem.ListHint("prediction")}\n");
        }

        byte[]? png = await services.GetRequiredService<IMapTileRenderer>().RenderTileAsync(
            new MapTileRequest(map, tileMatrixSet, z, (int)x, (int)y, TileMatrixSets.Bounds(tileMatrixSet, z, x, y), TileMatrixSets.TileSize), cancellationToken);
        return png is null ? Text(404, "The tile lies outside the map.\n") : Results.File(png, "image/png");
    }
}

using Disco.Geo.Engine.Export;
using Disco.Geo.Raster.Rendering;

namespace Disco.Geo.Engine.Tiles;

/// <summary>
/// <see cref="IMapTileRenderer"/> on Disco.Geo.Raster's <see cref="MapTileRenderer"/>: PNG tiles of the map's preview
/// band (see <see cref="LoadedPredictionMap"/>) for WebMercatorQuad and WorldCRS84Quad, transparent where the map has
/// no data, and no tile at all (null, HTTP 404) where no valid node lies under the tile. Maps come from the
/// <see cref="PredictionMapCache"/>, so panning reads no file.
/// </summary>
internal sealed class RasterMapTileRenderer(PredictionMapCache cache) : IMapTileRenderer
{
    private const double EarthRadius = 6378137.0;

    public bool SupportsFormat(string format) => format switch
    {
        "png" => true,
        "webp" => MapTileRenderer.IsAvailable(TileImageFormat.WebP),
        _ => false,
    };

    public async Task<byte[]?> RenderTileAsync(MapTileRequest request, CancellationToken cancellationToken)
    {
        TileMatrixSet matrixSet = request.TileMatrixSet switch
        {
            "WebMercatorQuad" => TileMatrixSet.WebMercatorQuad,
            "WorldCRS84Quad" => TileMatrixSet.WorldCRS84Quad,
            _ => throw new EngineInputException($"Unknown tile matrix set '{request.TileMatrixSet}'; use WebMercatorQuad or WorldCRS84Quad."),
        };
        (long columns, long rows) = MapTileRenderer.TileCount(matrixSet, request.Zoom);
        if (request.Column < 0 || request.Row < 0 || request.Column >= columns || request.Row >= rows)
        {
            return null;
        }

        LoadedPredictionMap map = await cache.GetAsync(request.Map, cancellationToken);
        (double west, double south, double east, double north) = Degrees(matrixSet, request.Bounds);
        if (!map.AnyValid(west, south, east, north))
        {
            return null;
        }

        TileImageFormat format = request.Format switch
        {
            "png" => TileImageFormat.Png,
            "webp" when SupportsFormat("webp") => TileImageFormat.WebP,
            _ => throw new EngineInputException($"Tiles cannot be encoded as '{request.Format}' here; use png."),
        };
        return await MapTileRenderer.RenderTileAsync(map.Display, matrixSet, request.Zoom, request.Column, request.Row, map.ColorMap, format, request.SizePixels, cancellationToken);
    }

    public async Task<MapLegend> DescribeAsync(PredictionMap map, CancellationToken cancellationToken)
    {
        LoadedPredictionMap loaded = await cache.GetAsync(map, cancellationToken);
        string band = loaded.Display.Bands[0].Name;
        if (loaded.Classes is { } classes)
        {
            return new MapLegend(band, [.. classes.OrderBy(c => c.Id).Select(c => new LegendClass(c.Id, c.Name, Hex(new Rgba(c.Red, c.Green, c.Blue))))], "", 0, 0, []);
        }

        ColorMap ramp = loaded.ColorMap;
        return new MapLegend(band, [], ramp.Name, ramp.Minimum, ramp.Maximum, [.. ramp.Stops.Select(s => new LegendStop(s.Value, Hex(s.Color)))]);
    }

    private static string Hex(Rgba colour) => $"#{colour.R:x2}{colour.G:x2}{colour.B:x2}";

    /// <summary>A tile's bounds as longitudes and latitudes (Web Mercator metres are converted on the sphere of EPSG:3857).</summary>
    private static (double West, double South, double East, double North) Degrees(TileMatrixSet matrixSet, (double MinX, double MinY, double MaxX, double MaxY) bounds)
    {
        if (matrixSet == TileMatrixSet.WorldCRS84Quad)
        {
            return bounds;
        }

        static double Longitude(double x) => x / EarthRadius * 180 / Math.PI;
        static double Latitude(double y) => Math.Atan(Math.Sinh(y / EarthRadius)) * 180 / Math.PI;
        return (Longitude(bounds.MinX), Latitude(bounds.MinY), Longitude(bounds.MaxX), Latitude(bounds.MaxY));
    }
}

namespace Disco.Geo.Server.Tiles;

/// <summary>
/// The two OGC 2D tile matrix sets the tile endpoint serves, 256-pixel tiles, rows counted from the north:
/// WebMercatorQuad (EPSG:3857, 2^z × 2^z tiles) and WorldCRS84Quad (EPSG:4326 lon/lat, 2^(z+1) × 2^z tiles).
/// </summary>
internal static class TileMatrixSets
{
    public const string WebMercatorQuad = "WebMercatorQuad";
    public const string WorldCrs84Quad = "WorldCRS84Quad";
    public const int TileSize = 256;
    public const int MaxZoom = 24;
    private const double MercatorExtent = 20037508.342789244;

    public static bool IsKnown(string id) => id is WebMercatorQuad or WorldCrs84Quad;

    public static (long Columns, long Rows) MatrixSize(string id, int zoom) =>
        id == WebMercatorQuad ? (1L << zoom, 1L << zoom) : (2L << zoom, 1L << zoom);

    /// <summary>Bounds of a tile in the set's CRS: metres for WebMercatorQuad, degrees (lon, lat) for WorldCRS84Quad.</summary>
    public static (double MinX, double MinY, double MaxX, double MaxY) Bounds(string id, int zoom, long column, long row)
    {
        if (id == WebMercatorQuad)
        {
            double size = 2 * MercatorExtent / (1L << zoom);
            return (-MercatorExtent + (column * size), MercatorExtent - ((row + 1) * size), -MercatorExtent + ((column + 1) * size), MercatorExtent - (row * size));
        }

        double degrees = 180.0 / (1L << zoom);
        return (-180 + (column * degrees), 90 - ((row + 1) * degrees), -180 + ((column + 1) * degrees), 90 - (row * degrees));
    }
}

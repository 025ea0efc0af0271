namespace Disco.Geo.Server.Tiles;

/// <summary>
/// The two OGC 2D tile matrix sets the tile endpoint serves, 256-pixel tiles, rows counted from the north:
/// WebMercatorQuad (EPSG:3857, 2^z × 2^z tiles) and WorldCRS84Quad (OGC:CRS84 lon/lat, 2^(z+1) × 2^z tiles), as
/// defined by OGC 17-083r2 (the TileMatrixSet standard) and used by morecantile/TiTiler.
/// </summary>
internal static class TileMatrixSets
{
    public const string WebMercatorQuad = "WebMercatorQuad";
    public const string WorldCrs84Quad = "WorldCRS84Quad";
    public const int TileSize = 256;
    public const int MaxZoom = 24;

    /// <summary>Levels listed beyond a grid's own resolution: the server samples the grid per pixel, so zooming in past it keeps class edges crisp.</summary>
    public const int ExtraZoomLevels = 2;

    /// <summary>Latitude limit of Web Mercator: the square world of EPSG:3857.</summary>
    public const double MercatorMaxLatitude = 85.0511287798066;

    private const double MercatorExtent = 20037508.342789244;

    /// <summary>OGC's "standardized rendering pixel size", 0.28 mm, which turns resolutions into scale denominators.</summary>
    private const double PixelSizeMetres = 0.00028;

    /// <summary>Metres per degree on the equator of the WGS 84 ellipsoid, as OGC's WorldCRS84Quad scales assume.</summary>
    private const double MetresPerDegree = 2 * Math.PI * 6378137.0 / 360;

    public static readonly string[] All = [WebMercatorQuad, WorldCrs84Quad];

    public static bool IsKnown(string id) => id is WebMercatorQuad or WorldCrs84Quad;

    public static string UnknownText(string id) =>
        $"Unknown tile matrix set '{Disco.Geo.Server.Problems.ClientText.Shorten(id)}'; use {WebMercatorQuad} or {WorldCrs84Quad}.\n";

    public static (long Columns, long Rows) MatrixSize(string id, int zoom) =>
        id == WebMercatorQuad ? (1L << zoom, 1L << zoom) : (2L << zoom, 1L << zoom);

    /// <summary>The set's CRS as an OGC URN (CRS84 has longitude first, so corners are written x y for both).</summary>
    public static string CrsUrn(string id) => id == WebMercatorQuad ? "urn:ogc:def:crs:EPSG::3857" : "urn:ogc:def:crs:OGC:1.3:CRS84";

    /// <summary>The top-left corner of every matrix of the set, in its CRS (x then y).</summary>
    public static (double X, double Y) TopLeftCorner(string id) => id == WebMercatorQuad ? (-MercatorExtent, MercatorExtent) : (-180, 90);

    /// <summary>The set's extent in its CRS: min x, min y, max x, max y.</summary>
    public static (double MinX, double MinY, double MaxX, double MaxY) Extent(string id) =>
        id == WebMercatorQuad ? (-MercatorExtent, -MercatorExtent, MercatorExtent, MercatorExtent) : (-180, -90, 180, 90);

    /// <summary>The scale denominator of a zoom level: the pixel size in metres over 0.28 mm.</summary>
    public static double ScaleDenominator(string id, int zoom)
    {
        double metresPerPixel = id == WebMercatorQuad
            ? 2 * MercatorExtent / TileSize / (1L << zoom)
            : 180.0 / TileSize / (1L << zoom) * MetresPerDegree;
        return metresPerPixel / PixelSizeMetres;
    }

    /// <summary>
    /// The deepest zoom level offered for a grid of <paramref name="nlon"/> columns: the first level whose pixels are
    /// at least as fine as the grid's columns, plus <see cref="ExtraZoomLevels"/>.
    /// </summary>
    public static int MaxZoomFor(string id, int nlon)
    {
        int pixelsAtZoomZero = id == WebMercatorQuad ? TileSize : 2 * TileSize;
        int native = 0;
        while (native < MaxZoom && ((long)pixelsAtZoomZero << native) < nlon)
        {
            native++;
        }

        return Math.Min(MaxZoom, native + ExtraZoomLevels);
    }

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

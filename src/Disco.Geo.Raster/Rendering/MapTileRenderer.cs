namespace Disco.Geo.Raster.Rendering;

/// <summary>OGC tile matrix sets supported by <see cref="MapTileRenderer"/>.</summary>
public enum TileMatrixSet
{
    /// <summary>
    /// Web Mercator (EPSG:3857) XYZ tiles as used by OpenStreetMap, Leaflet, OpenLayers, QGIS "XYZ Tiles": one tile at
    /// zoom 0, 2^z × 2^z tiles at zoom z, y from the top, latitudes up to ±85.0511°.
    /// </summary>
    WebMercatorQuad,

    /// <summary>
    /// Plate carrée (OGC:CRS84) tiles: 2 × 1 tiles at zoom 0 (each 180° × 180°), 2^(z+1) × 2^z at zoom z, y from the top,
    /// covering the poles.
    /// </summary>
    WorldCRS84Quad,
}

/// <summary>Image formats of map tiles.</summary>
public enum TileImageFormat
{
    /// <summary>PNG (always available).</summary>
    Png,

    /// <summary>Lossless WebP, when GDAL has its WEBP driver (see <see cref="MapTileRenderer.IsAvailable"/>).</summary>
    WebP,
}

/// <summary>
/// Renders tiles z/x/y of a finished sphere-grid map (e.g. a prediction) to PNG for a map viewer: each tile pixel's
/// centre is converted to (lat, lon) and sampled from the grid (bilinear for continuous maps, nearest node for class
/// maps), then coloured. Pixels on invalid nodes are transparent. Thread-safe; each call is independent.
/// </summary>
public static class MapTileRenderer
{
    /// <summary>Deepest zoom level accepted.</summary>
    public const int MaxZoom = 24;

    /// <summary>True when tiles can be encoded in the format: PNG always, WebP when GDAL was built with its WEBP driver.</summary>
    public static bool IsAvailable(TileImageFormat format) => format == TileImageFormat.Png || Disco.Geo.Gdal.GdalRuntime.HasDriver("WEBP");

    /// <summary>Renders one tile to PNG bytes.</summary>
    /// <param name="map">The map.</param>
    /// <param name="matrixSet">Tile scheme.</param>
    /// <param name="z">Zoom level, 0..<see cref="MaxZoom"/>.</param>
    /// <param name="x">Column, from the west.</param>
    /// <param name="y">Row, from the north.</param>
    /// <param name="colorMap">Colours (categorical maps sample the nearest node).</param>
    /// <param name="band">0-based band.</param>
    /// <param name="tileSize">Tile edge in pixels (256 or 512 are usual; 16..1024).</param>
    /// <param name="cancellationToken">Cancels between rows.</param>
    /// <exception cref="ArgumentOutOfRangeException">z, x, y, band or tile size is out of range; the message gives the valid range.</exception>
    // Hot loop: compiled optimised at once; tiering would run the first calls unoptimised on a busy machine.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static byte[] RenderTile(SphereRaster map, TileMatrixSet matrixSet, int z, int x, int y, ColorMap colorMap, int band = 0,
        int tileSize = 256, CancellationToken cancellationToken = default) =>
        RenderTile(map, matrixSet, z, x, y, colorMap, TileImageFormat.Png, band, tileSize, cancellationToken);

    /// <summary>Renders one tile in the given image format (see <see cref="RenderTile(SphereRaster, TileMatrixSet, int, int, int, ColorMap, int, int, CancellationToken)"/>).</summary>
    /// <param name="map">The map.</param>
    /// <param name="matrixSet">Tile scheme.</param>
    /// <param name="z">Zoom level, 0..<see cref="MaxZoom"/>.</param>
    /// <param name="x">Column, from the west.</param>
    /// <param name="y">Row, from the north.</param>
    /// <param name="colorMap">Colours.</param>
    /// <param name="format">PNG or WebP.</param>
    /// <param name="band">0-based band.</param>
    /// <param name="tileSize">Tile edge in pixels.</param>
    /// <param name="cancellationToken">Cancels between rows.</param>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static byte[] RenderTile(SphereRaster map, TileMatrixSet matrixSet, int z, int x, int y, ColorMap colorMap, TileImageFormat format, int band = 0,
        int tileSize = 256, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(colorMap);
        (long columns, long rows) = TileCount(matrixSet, z);
        if (x < 0 || x >= columns || y < 0 || y >= rows)
        {
            throw new ArgumentOutOfRangeException(nameof(x), $"Tile {z}/{x}/{y} does not exist in {matrixSet}: at zoom {z}, x is 0..{columns - 1} and y is 0..{rows - 1}.");
        }

        if (tileSize is < 16 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(tileSize), tileSize, "The tile size must be within 16..1024 pixels.");
        }

        SphereMapSampler sampler = new(map, band, colorMap.IsCategorical);
        PngEncoder.Image image = new(tileSize, tileSize);
        var pixelColumns = new (int West, int East, double S)[tileSize];
        for (int px = 0; px < tileSize; px++)
        {
            pixelColumns[px] = sampler.Columns(Longitude(matrixSet, z, x + (px + 0.5) / tileSize));
        }

        for (int py = 0; py < tileSize; py++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tileRows = sampler.Rows(Latitude(matrixSet, z, y + (py + 0.5) / tileSize));
            for (int px = 0; px < tileSize; px++)
            {
                image.Set(py * tileSize + px, colorMap.Map(sampler.Sample(tileRows, pixelColumns[px])));
            }
        }

        return PngEncoder.Encode(image, format, cancellationToken);
    }

    /// <summary>Async wrapper of <see cref="RenderTile(SphereRaster, TileMatrixSet, int, int, int, ColorMap, int, int, CancellationToken)"/> on the thread pool.</summary>
    public static Task<byte[]> RenderTileAsync(SphereRaster map, TileMatrixSet matrixSet, int z, int x, int y, ColorMap colorMap, int band = 0,
        int tileSize = 256, CancellationToken cancellationToken = default) =>
        Task.Run(() => RenderTile(map, matrixSet, z, x, y, colorMap, TileImageFormat.Png, band, tileSize, cancellationToken), cancellationToken);

    /// <summary>Async wrapper of <see cref="RenderTile(SphereRaster, TileMatrixSet, int, int, int, ColorMap, TileImageFormat, int, int, CancellationToken)"/> on the thread pool.</summary>
    /// <param name="map">The map.</param>
    /// <param name="matrixSet">Tile scheme.</param>
    /// <param name="z">Zoom level.</param>
    /// <param name="x">Column.</param>
    /// <param name="y">Row.</param>
    /// <param name="colorMap">Colours.</param>
    /// <param name="format">PNG or WebP.</param>
    /// <param name="tileSize">Tile edge in pixels.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static Task<byte[]> RenderTileAsync(SphereRaster map, TileMatrixSet matrixSet, int z, int x, int y, ColorMap colorMap, TileImageFormat format,
        int tileSize, CancellationToken cancellationToken) =>
        Task.Run(() => RenderTile(map, matrixSet, z, x, y, colorMap, format, 0, tileSize, cancellationToken), cancellationToken);

    /// <summary>Number of tile columns and rows at a zoom level.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The zoom is outside 0..<see cref="MaxZoom"/>.</exception>
    public static (long Columns, long Rows) TileCount(TileMatrixSet matrixSet, int z)
    {
        if (z is < 0 or > MaxZoom)
        {
            throw new ArgumentOutOfRangeException(nameof(z), z, $"Zoom must be within 0..{MaxZoom}.");
        }

        long n = 1L << z;
        return matrixSet switch
        {
            TileMatrixSet.WebMercatorQuad => (n, n),
            TileMatrixSet.WorldCRS84Quad => (2 * n, n),
            _ => throw new ArgumentOutOfRangeException(nameof(matrixSet), matrixSet, "Unknown tile matrix set."),
        };
    }

    /// <summary>Longitude of a fractional tile column.</summary>
    internal static double Longitude(TileMatrixSet matrixSet, int z, double column) => matrixSet == TileMatrixSet.WebMercatorQuad
        ? -180 + 360 * column / (1L << z)
        : -180 + 180 * column / (1L << z);

    /// <summary>Latitude of a fractional tile row (from the top).</summary>
    internal static double Latitude(TileMatrixSet matrixSet, int z, double row) => matrixSet == TileMatrixSet.WebMercatorQuad
        ? Math.Atan(Math.Sinh(Math.PI * (1 - 2 * row / (1L << z)))) * 180 / Math.PI
        : 90 - 180 * row / (1L << z);
}

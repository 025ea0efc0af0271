using Disco.Geo.Raster.Ingest;

namespace Disco.Geo.Engine.Ingest;

/// <summary>
/// The raster library's limits as this server sets them, with the names its errors give for raising them: the
/// server's own setting where there is one, and no advice for limits an operator cannot change.
/// </summary>
internal static class ServerRasterLimits
{
    /// <summary>The setting that bounds source pixels (rasters and panoramas).</summary>
    public const string MaxPixelsSetting = "Limits:MaxRasterPixels";

    public static RasterLimits For(long maxRasterPixels) => RasterLimits.Default with
    {
        MaxSourcePixels = maxRasterPixels,
        MaxSourcePixelsSetting = MaxPixelsSetting,
        MaxResultBytesSetting = null,
        MaxTilesSetting = null,
    };
}

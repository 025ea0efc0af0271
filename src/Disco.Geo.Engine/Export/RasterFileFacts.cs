using System.Globalization;
using Disco.Geo.Gdal;
using Disco.Geo.Raster.Ingest;

namespace Disco.Geo.Engine;

/// <summary>One band of a written raster as a catalogue describes it.</summary>
/// <param name="DataType">STAC raster data type: int8 … uint64, float32, float64, or "other".</param>
/// <param name="NoData">The nodata value, if any (NaN for float maps).</param>
public sealed record RasterBandFacts(string DataType, double? NoData);

/// <summary>The georeferencing and bands of a written raster, read back from the file with GDAL.</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Epsg">The EPSG code of the CRS, or null when it has none.</param>
/// <param name="Transform">
/// The affine pixel-to-CRS transform in the row-major order STAC's proj:transform uses (a, b, c, d, e, f: x = a·col +
/// b·row + c, y = d·col + e·row + f), or null without an axis-aligned geotransform.
/// </param>
/// <param name="Bands">The bands, in file order.</param>
public sealed record RasterFileFacts(int Width, int Height, int? Epsg, double[]? Transform, IReadOnlyList<RasterBandFacts> Bands);

/// <summary>Reads back what an export wrote, so a catalogue entry states what the file holds rather than what was asked for.</summary>
public interface IRasterFileInspector
{
    /// <summary>Describes a raster file written by the server (an export); never a client's file.</summary>
    /// <param name="path">The file.</param>
    RasterFileFacts Inspect(string path);
}

/// <summary><see cref="IRasterFileInspector"/> on GDAL through Disco.Geo.Raster's inspector.</summary>
internal sealed class GdalRasterFileInspector : IRasterFileInspector
{
    public RasterFileFacts Inspect(string path)
    {
        SourceInfo info = RasterInspector.Inspect(path);
        int? epsg = info.Crs is { } crs && crs.StartsWith("EPSG:", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(crs.AsSpan(5), NumberStyles.Integer, CultureInfo.InvariantCulture, out int code) ? code : null;
        double[]? transform = info.Bounds is { } b
            ? [(b.East - b.West) / info.Width, 0, b.West, 0, -(b.North - b.South) / info.Height, b.North]
            : null;
        return new RasterFileFacts(info.Width, info.Height, epsg, transform, [.. info.Bands.Select(band => new RasterBandFacts(StacDataType(band.DataType), band.NoData))]);
    }

    private static string StacDataType(GdalDataType type) => type switch
    {
        GdalDataType.Byte => "uint8",
        GdalDataType.UInt16 => "uint16",
        GdalDataType.Int16 => "int16",
        GdalDataType.UInt32 => "uint32",
        GdalDataType.Int32 => "int32",
        GdalDataType.Float32 => "float32",
        GdalDataType.Float64 => "float64",
        _ => "other",
    };
}

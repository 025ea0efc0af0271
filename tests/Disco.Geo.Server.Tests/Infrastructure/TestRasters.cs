using System.Globalization;
using Disco.Geo.Gdal;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>Real raster and vector files written with the GDAL binding (and plain text for GeoJSON) for ingest tests.</summary>
internal static class TestRasters
{
    /// <summary>A global EPSG:4326 float32 GeoTIFF of <see cref="AnalyticField.F"/> at pixel centres, −180..180.</summary>
    public static string WriteAnalyticGeoTiff(string path, int width, int height) =>
        GlobalGeoTiff.Write(path, width, height, [AnalyticField.F], ["f"], new Dictionary<string, string> { ["COMPRESS"] = "DEFLATE", ["TILED"] = "YES" });

    /// <summary>
    /// A large global GeoTIFF whose blocks are never written (sparse: a few KB on disk, read back as zeros), so that
    /// resampling it takes seconds of real GDAL work.
    /// </summary>
    public static string WriteSparseGeoTiff(string path, int width, int height)
    {
        using GdalDataset dataset = GdalDataset.Create("GTiff", path, width, height, 1, GdalDataType.Float32,
            new Dictionary<string, string> { ["TILED"] = "YES", ["SPARSE_OK"] = "TRUE", ["BIGTIFF"] = "YES" });
        dataset.SetGeoTransform(GeoTransform.NorthUp(-180, 90, 360.0 / width, 180.0 / height));
        using SpatialReference wgs84 = SpatialReference.Wgs84();
        dataset.SetSpatialReference(wgs84);
        return path;
    }

    /// <summary>A grey PNG without any georeferencing whose pixel value is <paramref name="value"/>(latitude, longitude) of a global plate carrée.</summary>
    public static string WritePlainPng(string path, int width, int height, Func<double, double, byte> value)
    {
        using GdalDataset memory = GdalDataset.CreateInMemory(width, height, 1, GdalDataType.Byte);
        byte[] pixels = new byte[width * height];
        for (int r = 0; r < height; r++)
        {
            for (int c = 0; c < width; c++)
            {
                pixels[(r * width) + c] = value(90 - ((r + 0.5) * 180.0 / height), -180 + ((c + 0.5) * 360.0 / width));
            }
        }

        memory.GetBand(1).Write<byte>(pixels, 0, 0, width, height);
        using (memory.CreateCopy("PNG", path))
        {
        }

        File.Delete(path + ".aux.xml");
        return path;
    }

    /// <summary>A GeoJSON FeatureCollection of lon/lat boxes, each with an integer "code" property.</summary>
    public static string WriteBoxes(string path, params (double West, double South, double East, double North, int Code)[] boxes)
    {
        string features = string.Join(",", boxes.Select(b =>
        {
            string ring = FormattableString.Invariant($"[[{b.West},{b.South}],[{b.East},{b.South}],[{b.East},{b.North}],[{b.West},{b.North}],[{b.West},{b.South}]]");
            return "{\"type\":\"Feature\",\"properties\":{\"code\":" + b.Code.ToString(CultureInfo.InvariantCulture) +
                   "},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[" + ring + "]}}";
        }));
        File.WriteAllText(path, "{\"type\":\"FeatureCollection\",\"features\":[" + features + "]}");
        return path;
    }

    /// <summary>
    /// A 72×36 8-bit PNG photo of <paramref name="bands"/> bands from value(latitude, longitude, band) at pixel centres;
    /// the last band is alpha when there are 2 or 4.
    /// </summary>
    public static string WritePhoto(string path, int bands, Func<double, double, int, int> value)
    {
        const int width = 72, height = 36;
        using GdalDataset memory = GdalDataset.CreateInMemory(width, height, bands, GdalDataType.Byte);
        for (int b = 0; b < bands; b++)
        {
            byte[] pixels = new byte[width * height];
            for (int r = 0; r < height; r++)
            {
                for (int c = 0; c < width; c++)
                {
                    pixels[(r * width) + c] = (byte)Math.Clamp(value(90 - ((r + 0.5) * 180.0 / height), -180 + ((c + 0.5) * 360.0 / width), b), 0, 255);
                }
            }

            memory.GetBand(b + 1).Write<byte>(pixels, 0, 0, width, height);
        }

        memory.GetBand(bands).ColorInterpretation = bands is 2 or 4 ? ColorInterpretation.Alpha : memory.GetBand(bands).ColorInterpretation;
        using (memory.CreateCopy("PNG", path))
        {
        }

        File.Delete(path + ".aux.xml");
        return path;
    }
}

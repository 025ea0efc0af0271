using System.Text.RegularExpressions;
using Disco.Geo.Gdal;

namespace Disco.Geo;

/// <summary>
/// Files in formats whose header names other files that GDAL then reads: the inputs of the source sandbox tests (ISIS3
/// and PDS4 labels with detached raw data, a GeoTIFF whose .aux.xml names an overview file, ENVI header + raw, a
/// Shapefile with its sidecars). Compiled as source into the raster and server tests.
/// </summary>
internal static class ReferencingFiles
{
    /// <summary>
    /// A path to <paramref name="target"/> that works from any directory: enough ".." to reach the root from any
    /// depth, then the absolute path (an upload's label cannot know where the server stores it).
    /// </summary>
    public static string FromAnywhere(string target) => string.Concat(Enumerable.Repeat("../", 40)) + target.TrimStart('/');

    /// <summary>
    /// An ISIS3 cube label (no data of its own) whose ^Core is <paramref name="core"/>: 64 × 32 bytes, 2:1 so that an
    /// ingest would take it as a global image, i.e. it would read the target's first 2048 bytes as pixels.
    /// </summary>
    public static string WriteIsis3Label(string path, string core)
    {
        File.WriteAllText(path, $"""
            Object = IsisCube
              Object = Core
                ^Core = {core}
                Format = BandSequential
                Object = Dimensions
                  Samples = 64
                  Lines   = 32
                  Bands   = 1
                End_Object
                Object = Pixels
                  Type       = UnsignedByte
                  ByteOrder  = Lsb
                  Base       = 0.0
                  Multiplier = 1.0
                End_Object
              End_Object
            End_Object
            End

            """);
        return path;
    }

    /// <summary>A PDS4 label (written by GDAL's PDS4 driver, 64 × 32 bytes) whose File_Area names <paramref name="dataFile"/>; GDAL's own .img is deleted.</summary>
    public static string WritePds4Label(string path, string dataFile)
    {
        using (GdalDataset memory = GdalDataset.CreateInMemory(64, 32, 1, GdalDataType.Byte))
        using (GdalDataset written = memory.CreateCopy("PDS4", path))
        {
        }

        string directory = Path.GetDirectoryName(path)!;
        string label = File.ReadAllText(path);
        Match name = Regex.Match(label, "<file_name>([^<]+)</file_name>");
        File.Delete(Path.Combine(directory, name.Groups[1].Value));
        File.Delete(path + ".aux.xml");
        File.WriteAllText(path, label.Replace(name.Value, $"<file_name>{dataFile}</file_name>", StringComparison.Ordinal));
        return path;
    }

    /// <summary>
    /// A global 2:1 GeoTIFF with a PAM .aux.xml beside it that names <paramref name="overviewFile"/> (absolute) as its
    /// external overviews: GDAL reads overviews from there when it downsamples.
    /// </summary>
    public static string WriteGeoTiffWithOverviewFile(string path, string overviewFile)
    {
        GlobalGeoTiff.Write(path, 64, 32, [(lat, lon) => lat]);
        File.WriteAllText(path + ".aux.xml", $"""
            <PAMDataset>
              <Metadata domain="OVERVIEWS">
                <MDI key="OVERVIEW_FILE">{overviewFile}</MDI>
              </Metadata>
            </PAMDataset>
            """);
        return path;
    }

    /// <summary>An ENVI raw file with its .hdr (global EPSG:4326, one float band of latitude): two files, both needed.</summary>
    public static string WriteEnvi(string path, int width, int height)
    {
        string tiff = path + ".source.tif";
        GlobalGeoTiff.Write(tiff, width, height, [(lat, lon) => lat], ["latitude"]);
        using (GdalDataset source = GdalDataset.Open(tiff))
        using (GdalDataset envi = source.CreateCopy("ENVI", path))
        {
        }

        File.Delete(tiff);
        File.Delete(path + ".aux.xml");
        return path;
    }

    /// <summary>A lon/lat Shapefile (.shp, .shx, .dbf, .prj) of boxes with an integer "code" field.</summary>
    public static string WriteShapefile(string path, params (double West, double South, double East, double North, int Code)[] boxes)
    {
        using GdalDataset dataset = GdalDataset.CreateVector("ESRI Shapefile", path);
        using SpatialReference wgs84 = SpatialReference.Wgs84();
        OgrLayer layer = dataset.CreateLayer(Path.GetFileNameWithoutExtension(path), wgs84, OgrGeometryType.Polygon);
        layer.CreateField("code", OgrFieldType.Integer);
        foreach ((double west, double south, double east, double north, int code) in boxes)
        {
            layer.AddFeature(PolygonWkb(west, south, east, north), new Dictionary<string, object?> { ["code"] = code });
        }

        return path;
    }

    /// <summary>Well-known binary of an axis-aligned box (little endian, one ring of five points).</summary>
    private static byte[] PolygonWkb(double west, double south, double east, double north)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write((byte)1);
            writer.Write(3u);
            writer.Write(1u);
            writer.Write(5u);
            foreach ((double x, double y) in new[] { (west, south), (east, south), (east, north), (west, north), (west, south) })
            {
                writer.Write(x);
                writer.Write(y);
            }
        }

        return stream.ToArray();
    }

    /// <summary>A file of distinct bytes that must never come back out of the server.</summary>
    public static string WriteSecret(string path)
    {
        byte[] bytes = new byte[4096];
        new Random(20260806).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}

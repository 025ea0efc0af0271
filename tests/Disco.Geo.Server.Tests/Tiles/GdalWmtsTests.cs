using System.Globalization;
using Disco.Geo.Gdal;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests.Tiles;

/// <summary>
/// The WMTS capabilities document as GDAL's own WMTS driver reads it (gdal_translate in a separate process, as QGIS
/// would use GDAL): from the one capabilities URL GDAL works out the tile matrix, its georeferencing (from the
/// ScaleDenominator and TopLeftCorner) and the tile URLs, fetches the tiles and mosaics them. The mosaic must carry
/// the model's class colours over every grid node, in both tile matrix sets.
/// </summary>
public sealed class GdalWmtsTests(TilePredictions predictions) : IClassFixture<TilePredictions>
{
    private const double MercatorExtent = 20037508.342789244;

    [Theory]
    [InlineData("WorldCRS84Quad", 1024, 512)]
    [InlineData("WebMercatorQuad", 512, 512)]
    public async Task Gdal_wmts_driver_reads_the_capabilities_and_the_tiles_with_the_class_colours_over_the_nodes(string set, int width, int height)
    {
        string directory = Temp.Directory("gdal-wmts");
        try
        {
            string url = $"{predictions.Server.HttpAddress}/tiles/{predictions.Segmentation.Prediction.Id}/WMTSCapabilities.xml";
            string tiff = Path.Combine(directory, "mosaic.tif");
            (int exit, string output) = await ExternalTools.RunAsync("gdal_translate", directory,
                ["-q", "-of", "GTiff", "-oo", $"TILEMATRIXSET={set}", "-oo", "TILEMATRIX=1", $"WMTS:{url}", tiff],
                new Dictionary<string, string> { ["GDAL_DEFAULT_WMS_CACHE_PATH"] = Path.Combine(directory, "cache"), ["GDAL_HTTP_TIMEOUT"] = "20" });
            Assert.True(exit == 0, "gdal_translate failed: " + output);

            using GdalDataset mosaic = GdalDataset.Open(tiff);
            Assert.Equal((width, height, 4), (mosaic.Width, mosaic.Height, mosaic.BandCount));
            GeoTransform expected = set == "WorldCRS84Quad"
                ? GeoTransform.NorthUp(-180, 90, 360.0 / width, 180.0 / height)
                : GeoTransform.NorthUp(-MercatorExtent, MercatorExtent, 2 * MercatorExtent / width, 2 * MercatorExtent / height);
            GeoTransform actual = mosaic.GetGeoTransform()!.Value;
            Assert.Equal(expected.OriginX, actual.OriginX, 6);
            Assert.Equal(expected.OriginY, actual.OriginY, 6);
            Assert.Equal(expected.PixelWidth, actual.PixelWidth, 6);
            byte[][] rgba = [.. Enumerable.Range(1, 4).Select(b =>
            {
                byte[] band = new byte[width * height];
                mosaic.GetBand(b).Read<byte>(band, 0, 0, width, height);
                return band;
            })];

            var grid = predictions.SegmentationModel.Grid;
            var colours = predictions.SegmentationModel.Classes.ToDictionary(c => c.Id, c => ExternalTools.Rgb(c.Color));
            var seen = new HashSet<int>();
            // Class maps are drawn from the nearest node, so the pixel over each node shows its class; pole rows (one
            // point) and rows beyond Web Mercator's ±85° are left out.
            for (int r = 1; r < grid.Nlat - 1; r++)
            {
                double lat = 90 - (180.0 * r / (grid.Nlat - 1));
                if (set == "WebMercatorQuad" && Math.Abs(lat) > 85)
                {
                    continue;
                }

                for (int c = 0; c < grid.Nlon; c++)
                {
                    double lon = grid.LonOriginDegrees + (360.0 * c / grid.Nlon);
                    lon = lon >= 180 ? lon - 360 : lon;
                    double fx = (lon + 180) / 360;
                    double fy = set == "WorldCRS84Quad" ? (90 - lat) / 180 : (1 - (Math.Log(Math.Tan(Math.PI / 4 + (lat * Math.PI / 360))) / Math.PI)) / 2;
                    int px = Math.Min(width - 1, (int)(fx * width));
                    int py = Math.Min(height - 1, (int)(fy * height));
                    int classId = (int)predictions.Segmentation.Values[(r * grid.Nlon) + c];
                    int i = (py * width) + px;
                    (byte red, byte green, byte blue) = colours[classId];
                    Assert.True((red, green, blue, (byte)255) == (rgba[0][i], rgba[1][i], rgba[2][i], rgba[3][i]),
                        string.Create(CultureInfo.InvariantCulture,
                            $"{set}: node ({lat}, {lon}) is class {classId} but pixel ({px}, {py}) is ({rgba[0][i]}, {rgba[1][i]}, {rgba[2][i]}, {rgba[3][i]})"));
                    seen.Add(classId);
                }
            }

            Assert.Equal([0, 1], seen.Order());
        }
        finally
        {
            Temp.Delete(directory);
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using Disco.Geo.Client;
using Disco.Geo.Gdal;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// The /tiles endpoint as a third-party client sees it: GDAL's own WMS driver (TMS mini-driver), run as gdal_translate
/// in a separate process, fetches a real prediction's tiles over HTTP and mosaics them into a GeoTIFF, whose pixels
/// must carry the model's class colours where the prediction has those classes.
/// </summary>
public sealed class GdalWmsTileTests
{
    private const int Zoom = 1;
    private const int TileSize = 256;

    [Fact]
    public async Task Gdal_wms_tms_driver_reads_the_prediction_tiles_with_the_class_colours_in_place()
    {
        string files = Temp.Directory("gdal-wms");
        await using TestServer server = await TestServer.StartAsync();
        try
        {
            using DiscoClient client = server.Client();
            Model model = await client.ImportModelAsync(Packages.Write(files, "lw.discomodel", seed: 5));
            Grid grid = model.Grid;
            // Centred on 0, the field drives this untrained network to both classes (about half land).
            await GriddedDatasets.StoreFieldAsync(server, "field", grid, offset: -10);
            PredictionArray map = await client.PredictToArrayAsync(new PredictRequest { Model = model.Name, Dataset = "field" });

            // WorldCRS84Quad: 2^(z+1) x 2^z tiles of 256 pixels, rows from the top. GDAL's TMS mini-driver counts levels
            // from a data window of TileCountX x TileCountY tiles at level 0, which is the same layout. No <Cache>
            // element: GDAL then keeps no tile cache on disk, so every pixel below came over HTTP from this server.
            string xml = Path.Combine(files, "prediction.xml");
            File.WriteAllText(xml, $$"""
                <GDAL_WMS>
                  <Service name="TMS">
                    <ServerUrl>{{server.HttpAddress}}/tiles/{{map.Prediction.Id}}/WorldCRS84Quad/${z}/${x}/${y}.png</ServerUrl>
                  </Service>
                  <DataWindow>
                    <UpperLeftX>-180</UpperLeftX>
                    <UpperLeftY>90</UpperLeftY>
                    <LowerRightX>180</LowerRightX>
                    <LowerRightY>-90</LowerRightY>
                    <TileLevel>{{Zoom}}</TileLevel>
                    <TileCountX>2</TileCountX>
                    <TileCountY>1</TileCountY>
                    <YOrigin>top</YOrigin>
                  </DataWindow>
                  <Projection>EPSG:4326</Projection>
                  <BlockSizeX>{{TileSize}}</BlockSizeX>
                  <BlockSizeY>{{TileSize}}</BlockSizeY>
                  <BandsCount>4</BandsCount>
                  <MaxConnections>2</MaxConnections>
                  <Timeout>20</Timeout>
                </GDAL_WMS>
                """);
            string tiff = Path.Combine(files, "prediction.tif");
            (int exit, string output) = await GdalTranslateAsync(files, xml, tiff);
            Assert.True(exit == 0, "gdal_translate failed: " + output);

            using GdalDataset mosaic = GdalDataset.Open(tiff);
            int width = TileSize << (Zoom + 1), height = TileSize << Zoom;
            Assert.Equal((width, height, 4), (mosaic.Width, mosaic.Height, mosaic.BandCount));
            Assert.Equal(GeoTransform.NorthUp(-180, 90, 360.0 / width, 180.0 / height), mosaic.GetGeoTransform());
            byte[][] rgba = Enumerable.Range(1, 4).Select(b =>
            {
                byte[] band = new byte[width * height];
                mosaic.GetBand(b).Read<byte>(band, 0, 0, width, height);
                return band;
            }).ToArray();

            // Class maps are drawn from the nearest grid node, so the pixel over each node shows that node's class.
            // The pole rows are left out: every node of a pole row sits at the same point.
            var colours = model.Classes.ToDictionary(c => c.Id, c => Rgb(c.Color));
            var seen = new HashSet<int>();
            for (int r = 1; r < grid.Nlat - 1; r++)
            {
                double lat = 90 - (180.0 * r / (grid.Nlat - 1));
                for (int c = 0; c < grid.Nlon; c++)
                {
                    double lon = grid.LonOriginDegrees + (360.0 * c / grid.Nlon);
                    lon = lon >= 180 ? lon - 360 : lon;
                    int px = Math.Min(width - 1, (int)((lon + 180) / 360 * width));
                    int py = Math.Min(height - 1, (int)((90 - lat) / 180 * height));
                    int classId = (int)map.Values[(r * grid.Nlon) + c];
                    int i = (py * width) + px;
                    (byte red, byte green, byte blue) = colours[classId];
                    Assert.True((red, green, blue, (byte)255) == (rgba[0][i], rgba[1][i], rgba[2][i], rgba[3][i]),
                        string.Create(CultureInfo.InvariantCulture,
                            $"node ({lat}, {lon}) is class {classId} but pixel ({px}, {py}) is ({rgba[0][i]}, {rgba[1][i]}, {rgba[2][i]}, {rgba[3][i]})"));
                    seen.Add(classId);
                }
            }

            // Both classes occur, so the check above tells a real class map from a uniformly coloured one.
            Assert.Equal([0, 1], seen.Order());
        }
        finally
        {
            Temp.Delete(files);
        }
    }

    private static (byte Red, byte Green, byte Blue) Rgb(string hex) => (
        byte.Parse(hex.AsSpan(1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
        byte.Parse(hex.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
        byte.Parse(hex.AsSpan(5, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));

    private static async Task<(int ExitCode, string Output)> GdalTranslateAsync(string directory, string source, string destination)
    {
        var start = new ProcessStartInfo("gdal_translate")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (string argument in (string[])["-q", "-of", "GTiff", source, destination])
        {
            start.ArgumentList.Add(argument);
        }

        // A default WMS cache path from the environment would let GDAL keep tiles across runs; point it at this test's directory.
        start.Environment["GDAL_DEFAULT_WMS_CACHE_PATH"] = Path.Combine(directory, "wms-cache");
        start.Environment["GDAL_HTTP_TIMEOUT"] = "20";
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output + await error);
    }
}

using System.Globalization;
using System.Net;
using Disco.Geo.Client;
using Disco.Geo.Gdal;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests.Tiles;

/// <summary>
/// A real browser (Debian's Chromium, headless, in its own process) loads the server's map page for a finished
/// prediction, a Leaflet map (Debian's libjs-leaflet, served by the server) of the WebMercatorQuad XYZ tiles; the
/// screenshot must show the class colours over the grid nodes, and the viridis end colours where the regression map
/// has its lowest and highest values. Without the tiles (or without Leaflet) the map is blank and the checks fail.
/// </summary>
public sealed class BrowserMapTests(TilePredictions predictions) : IClassFixture<TilePredictions>
{
    private const int Zoom = 1;
    private const int Size = 256 << Zoom;

    [Fact]
    public async Task Chromium_shows_the_class_map_in_the_class_colours_at_the_nodes()
    {
        byte[][] rgb = await ScreenshotAsync(predictions.Segmentation.Prediction.Id);
        var grid = predictions.SegmentationModel.Grid;
        var colours = predictions.SegmentationModel.Classes.ToDictionary(c => c.Id, c => ExternalTools.Rgb(c.Color));
        var seen = new HashSet<int>();
        foreach ((int r, int c, int px, int py) in Nodes(grid.Nlat, grid.Nlon, grid.LonOriginDegrees))
        {
            int classId = (int)predictions.Segmentation.Values[(r * grid.Nlon) + c];
            int i = (py * Size) + px;
            (byte red, byte green, byte blue) = colours[classId];
            Assert.True((red, green, blue) == (rgb[0][i], rgb[1][i], rgb[2][i]),
                string.Create(CultureInfo.InvariantCulture, $"node ({r}, {c}) is class {classId} but screenshot pixel ({px}, {py}) is ({rgb[0][i]}, {rgb[1][i]}, {rgb[2][i]})"));
            seen.Add(classId);
        }

        Assert.Equal([0, 1], seen.Order());
    }

    [Fact]
    public async Task Chromium_shows_the_regression_map_in_viridis_from_its_lowest_to_its_highest_value()
    {
        var map = predictions.Regression;
        byte[][] rgb = await ScreenshotAsync(map.Prediction.Id);
        var grid = predictions.SegmentationModel.Grid;
        (int r, int c, int px, int py)[] nodes = [.. Nodes(grid.Nlat, grid.Nlon, grid.LonOriginDegrees)];
        double min = map.Values.Min(), max = map.Values.Max();
        // Continuous maps are interpolated between nodes, so the pixel over a node is the node's own value only up to
        // its neighbours' pull; the lowest and highest nodes are the darkest violet and the brightest yellow.
        var lowest = nodes.MinBy(n => map.Values[(n.r * grid.Nlon) + n.c]);
        var highest = nodes.MaxBy(n => map.Values[(n.r * grid.Nlon) + n.c]);
        (byte, byte, byte) Pixel((int r, int c, int px, int py) n) => (rgb[0][(n.py * Size) + n.px], rgb[1][(n.py * Size) + n.px], rgb[2][(n.py * Size) + n.px]);
        Assert.True(Near(Pixel(lowest), (0x44, 0x01, 0x54), 60), $"lowest node {lowest} (value {min}) shows {Pixel(lowest)}, not viridis' violet");
        Assert.True(Near(Pixel(highest), (0xfd, 0xe7, 0x25), 60), $"highest node {highest} (value {max}) shows {Pixel(highest)}, not viridis' yellow");
        // Every node pixel is drawn: none shows the page's white background.
        foreach (var node in nodes)
        {
            Assert.NotEqual(((byte)255, (byte)255, (byte)255), Pixel(node));
        }
    }

    [Fact]
    public async Task The_viewer_page_is_a_leaflet_map_of_the_xyz_tiles_with_its_legend_and_the_server_serves_leaflet()
    {
        using var http = new HttpClient();
        string page = await http.GetStringAsync($"{predictions.Server.HttpAddress}/tiles/{predictions.Segmentation.Prediction.Id}/viewer.html");
        Assert.Contains("/tiles/leaflet/leaflet.js", page, StringComparison.Ordinal);
        Assert.Contains($"L.tileLayer(\"{predictions.Server.HttpAddress}/tiles/{predictions.Segmentation.Prediction.Id}/WebMercatorQuad/{{z}}/{{x}}/{{y}}.png\"", page, StringComparison.Ordinal);
        foreach (var item in predictions.SegmentationModel.Classes)
        {
            Assert.Contains($"background:{item.Color}\"></span>{item.Id}: {item.Name}", page, StringComparison.Ordinal);
        }

        foreach (string file in new[] { "leaflet.js", "leaflet.css", "images/layers.png" })
        {
            using HttpResponseMessage response = await http.GetAsync($"{predictions.Server.HttpAddress}/tiles/leaflet/{file}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(LeafletDirectory, file)), await response.Content.ReadAsByteArrayAsync());
        }

        using HttpResponseMessage outside = await http.GetAsync($"{predictions.Server.HttpAddress}/tiles/leaflet/..%2F..%2F..%2F..%2Fetc%2Fpasswd");
        Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);
    }

    [Fact]
    public async Task Without_leaflet_the_viewer_of_a_finished_prediction_is_503_naming_the_package()
    {
        string empty = Temp.Directory("no-leaflet");
        try
        {
            await using TestServer server = await TestServer.StartAsync([$"--leaflet-dir={empty}"]);
            using DiscoClient client = server.Client();
            Model model = await client.ImportModelAsync(Packages.Write(empty, "lw.discomodel", seed: 5));
            await GriddedDatasets.StoreFieldAsync(server, "field", model.Grid, offset: -10);
            PredictionArray prediction = await client.PredictToArrayAsync(new PredictRequest { Model = model.Name, Dataset = "field" });
            using var http = new HttpClient();
            using HttpResponseMessage viewer = await http.GetAsync($"{server.HttpAddress}/tiles/{prediction.Prediction.Id}/viewer.html");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, viewer.StatusCode);
            Assert.Contains("apt-get install libjs-leaflet", await viewer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Null(viewer.Headers.CacheControl);
            using HttpResponseMessage script = await http.GetAsync($"{server.HttpAddress}/tiles/leaflet/leaflet.js");
            Assert.Equal(HttpStatusCode.NotFound, script.StatusCode);
            string text = await script.Content.ReadAsStringAsync();
            Assert.Contains("libjs-leaflet", text, StringComparison.Ordinal);
            Assert.DoesNotContain(empty, text, StringComparison.Ordinal);
        }
        finally
        {
            Temp.Delete(empty);
        }
    }

    private const string LeafletDirectory = "/usr/share/javascript/leaflet";

    /// <summary>Nodes inside Web Mercator's latitudes, but the pole rows, and the screenshot pixel over each.</summary>
    private static IEnumerable<(int Row, int Column, int Px, int Py)> Nodes(int nlat, int nlon, double lonOrigin)
    {
        for (int r = 1; r < nlat - 1; r++)
        {
            double lat = 90 - (180.0 * r / (nlat - 1));
            if (Math.Abs(lat) > 85)
            {
                continue;
            }

            for (int c = 0; c < nlon; c++)
            {
                double lon = lonOrigin + (360.0 * c / nlon);
                lon = lon >= 180 ? lon - 360 : lon;
                double fy = (1 - (Math.Log(Math.Tan((Math.PI / 4) + (lat * Math.PI / 360))) / Math.PI)) / 2;
                int px = Math.Min(Size - 1, (int)((lon + 180) / 360 * Size)), py = Math.Min(Size - 1, (int)(fy * Size));
                // Leaflet's own controls sit on the map: zoom buttons at the top left (10 px margin, 34×64 px), the
                // attribution ("Leaflet") at the bottom right.
                if ((px < 50 && py < 80) || (px >= Size - 80 && py >= Size - 22))
                {
                    continue;
                }

                yield return (r, c, px, py);
            }
        }
    }

    private static bool Near((byte R, byte G, byte B) a, (int R, int G, int B) b, int tolerance) =>
        Math.Abs(a.R - b.R) + Math.Abs(a.G - b.G) + Math.Abs(a.B - b.B) <= tolerance;

    /// <summary>Loads the map page in headless Chromium and returns the screenshot's red, green and blue planes.</summary>
    private async Task<byte[][]> ScreenshotAsync(string predictionId)
    {
        Assert.True(File.Exists("/usr/bin/chromium"), "Install Debian's chromium (scripts/ensure-deps.sh --with-browser).");
        Assert.True(File.Exists(Path.Combine(LeafletDirectory, "leaflet.js")), "Install Debian's libjs-leaflet (scripts/ensure-deps.sh --with-browser).");
        string directory = Temp.Directory("browser-map");
        try
        {
            string url = $"{predictions.Server.HttpAddress}/tiles/{predictionId}/viewer.html?z={Zoom}";
            using (var http = new HttpClient())
            {
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url)).StatusCode);
            }

            string shot = Path.Combine(directory, "shot.png");
            // The window is exactly the tiles of the zoom level (the legend sits below it); scale factor 1 makes one
            // CSS pixel one screenshot pixel. --no-sandbox: the test may run as root, where Chromium's sandbox refuses.
            // The virtual time budget lets Leaflet's script place and load its tiles before the screenshot is taken.
            (int exit, string output) = await ExternalTools.RunAsync("/usr/bin/chromium", directory,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1", "--no-first-run",
                "--virtual-time-budget=10000",
                $"--window-size={Size},{Size}", $"--user-data-dir={Path.Combine(directory, "profile")}", $"--screenshot={shot}", url,
            ]);
            Assert.True(exit == 0 && File.Exists(shot), $"chromium failed ({exit}): {output}");
            using GdalDataset image = GdalDataset.Open(shot);
            Assert.Equal((Size, Size), (image.Width, image.Height));
            return [.. Enumerable.Range(1, 3).Select(b =>
            {
                byte[] plane = new byte[Size * Size];
                image.GetBand(b).Read<byte>(plane, 0, 0, Size, Size);
                return plane;
            })];
        }
        finally
        {
            Temp.Delete(directory);
        }
    }
}

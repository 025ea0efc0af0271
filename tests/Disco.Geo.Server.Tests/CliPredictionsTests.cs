using System.Text.Json;
using Disco.Geo.Cli;
using Disco.Geo.Gdal;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// `disco predictions …`, the prediction flags of `disco predict` and `disco datasets show`'s provenance, in-process
/// against a real server; JSON output checked against the shapes documented in docs/cli-json.md.
/// </summary>
public sealed class CliPredictionsTests() : ServerTests("cli-predictions")
{
    [Fact]
    public async Task Predictions_list_show_export_tiles_and_rm_print_their_documented_json()
    {
        string id = await PredictOneAsync("jan");

        CliResult list = await RunAsync("predictions", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using (JsonDocument json = JsonDocument.Parse(list.Output))
        {
            JsonElement prediction = Assert.Single(json.RootElement.EnumerateArray());
            Assert.Equal(id, prediction.GetProperty("id").GetString());
            Assert.Equal("PREDICTION_STATE_SUCCEEDED", prediction.GetProperty("state").GetString());
            Assert.StartsWith("mdl_", prediction.GetProperty("modelId").GetString(), StringComparison.Ordinal);
        }

        // --model takes a name (resolved to the id the API filters by); a wrong one is NOT_FOUND, not an empty list.
        CliResult byModel = await RunAsync("predictions", "list", "--model", "land-water", "--json");
        using (JsonDocument json = JsonDocument.Parse(byModel.Output))
        {
            Assert.Equal(id, Assert.Single(json.RootElement.EnumerateArray()).GetProperty("id").GetString());
        }

        Assert.Equal(ExitCodes.NotFound, (await RunAsync("predictions", "list", "--model", "nope")).ExitCode);
        Assert.Contains(id, (await RunAsync("predictions", "list")).Output, StringComparison.Ordinal);
        Assert.Equal(id + "\n", (await RunAsync("predictions", "list", "-q")).Output.ReplaceLineEndings("\n"));

        CliResult show = await RunAsync("predictions", "show", id, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        using (JsonDocument json = JsonDocument.Parse(show.Output))
        {
            JsonElement root = json.RootElement;
            Assert.Equal(id, root.GetProperty("id").GetString());
            Assert.Equal(19, root.GetProperty("grid").GetProperty("nlat").GetInt32());
            Assert.Equal(["water", "land"], root.GetProperty("summary").GetProperty("classAreas").EnumerateArray().Select(a => a.GetProperty("className").GetString()));
        }

        CliResult table = await RunAsync("predictions", "show", id);
        Assert.Contains("area water", table.Output, StringComparison.Ordinal);
        Assert.Contains("km²", table.Output, StringComparison.Ordinal);

        // export: format from the extension, --size as the API's width and height.
        string tif = Path.Combine(_files, "jan-big.tif");
        CliResult export = await RunAsync("predictions", "export", id, tif, "--size", "144x72", "--json");
        Assert.True(export.ExitCode == 0, export.ToString());
        using (JsonDocument json = JsonDocument.Parse(export.Output))
        {
            Assert.Equal(new FileInfo(tif).Length, long.Parse(json.RootElement.GetProperty("sizeBytes").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(64, json.RootElement.GetProperty("sha256").GetString()!.Length);
        }

        using (GdalDataset map = GdalDataset.Open(tif))
        {
            Assert.Equal((144, 72), (map.Width, map.Height));
        }

        string png = Path.Combine(_files, "jan.png");
        Assert.Equal(0, (await RunAsync("predictions", "export", id, png)).ExitCode);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);
        string geojson = Path.Combine(_files, "jan.geojson");
        Assert.Equal(0, (await RunAsync("predictions", "export", id, geojson)).ExitCode);
        using (JsonDocument json = JsonDocument.Parse(File.ReadAllText(geojson)))
        {
            Assert.Equal("FeatureCollection", json.RootElement.GetProperty("type").GetString());
        }

        CliResult polygonsSized = await RunAsync("predictions", "export", id, geojson, "--size", "10x10");
        Assert.Equal(ExitCodes.Usage, polygonsSized.ExitCode);
        Assert.Contains("no pixel size", polygonsSized.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, (await RunAsync("predictions", "export", id, Path.Combine(_files, "jan.xyz"))).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await RunAsync("predictions", "export", id, tif, "--size", "144")).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await RunAsync("predictions", "export", id, tif, "--format", "jpeg")).ExitCode);

        // tiles: the URLs, and the XYZ one serves a tile.
        CliResult tiles = await RunAsync("predictions", "tiles", id, "--http", _server.HttpAddress, "--json");
        Assert.True(tiles.ExitCode == 0, tiles.ToString());
        string xyz;
        using (JsonDocument json = JsonDocument.Parse(tiles.Output))
        {
            JsonElement root = json.RootElement;
            Assert.Equal(["predictionId", "xyz", "tileJson", "wmts"], root.EnumerateObject().Select(p => p.Name));
            Assert.Equal(id, root.GetProperty("predictionId").GetString());
            xyz = root.GetProperty("xyz").GetProperty("WebMercatorQuad").GetString()!;
            Assert.Equal($"{_server.HttpAddress}/tiles/{id}/WebMercatorQuad/{{z}}/{{x}}/{{y}}.png", xyz);
            Assert.Equal($"{_server.HttpAddress}/tiles/{id}/WorldCRS84Quad/{{z}}/{{x}}/{{y}}.png", root.GetProperty("xyz").GetProperty("WorldCRS84Quad").GetString());
            Assert.Equal($"{_server.HttpAddress}/tiles/{id}/WebMercatorQuad/tilejson.json", root.GetProperty("tileJson").GetProperty("WebMercatorQuad").GetString());
            Assert.Equal($"{_server.HttpAddress}/tiles/{id}/WorldCRS84Quad/tilejson.json", root.GetProperty("tileJson").GetProperty("WorldCRS84Quad").GetString());
            Assert.Equal($"{_server.HttpAddress}/tiles/{id}/WMTSCapabilities.xml", root.GetProperty("wmts").GetString());
        }

        using (HttpResponseMessage tile = await _server.HttpGetAsync(xyz.Replace(_server.HttpAddress, "", StringComparison.Ordinal).Replace("{z}/{x}/{y}", "0/0/0", StringComparison.Ordinal)))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, tile.StatusCode);
            Assert.Equal("image/png", tile.Content.Headers.ContentType?.MediaType);
        }

        CliResult tileLines = await RunAsync("predictions", "tiles", id, "--http", _server.HttpAddress);
        Assert.Contains($"xyz WebMercatorQuad: {xyz}", tileLines.Output, StringComparison.Ordinal);
        Assert.Contains("wmts: ", tileLines.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, (await RunAsync("predictions", "tiles", id, "--http", "ftp://host/")).ExitCode);
        Assert.Equal(ExitCodes.NotFound, (await RunAsync("predictions", "tiles", "prd_nope")).ExitCode);

        CliResult remove = await RunAsync("predictions", "rm", id, "--json");
        Assert.True(remove.ExitCode == 0, remove.ToString());
        using (JsonDocument json = JsonDocument.Parse(remove.Output))
        {
            Assert.Equal(id, Assert.Single(json.RootElement.EnumerateArray()).GetProperty("predictionId").GetString());
        }

        CliResult gone = await RunAsync("predictions", "show", id, "--json");
        Assert.Equal(ExitCodes.NotFound, gone.ExitCode);
        Assert.Contains("\"NOT_FOUND\"", gone.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_passes_probabilities_rotation_averaging_camera_orientation_and_export_size_to_the_api()
    {
        await RunAsync("models", "import", Packages.Write(_files, "m.discomodel", seed: 7));
        string input = TestRasters.WriteAnalyticGeoTiff(Path.Combine(_files, "feb.tif"), 72, 36);

        string plain = Path.Combine(_files, "plain");
        CliResult first = await RunAsync("predict", "--model", "land-water", "--out", plain, input, "--probabilities", "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        string plainId = PredictionId(first);
        Prediction record = await _client.GetPredictionAsync(plainId);
        Assert.Equal(2, record.Bands.Count); // one probability band per class

        // Same input with rotation averaging: a new prediction (the request id covers the setting), different values.
        string averaged = Path.Combine(_files, "averaged");
        CliResult second = await RunAsync("predict", "--model", "land-water", "--out", averaged, input, "--probabilities", "--rotation-averaging", "4",
            "--export-size", "144x72", "--json");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.NotEqual(plainId, PredictionId(second));
        float[] plainValues = Band(Path.Combine(plain, "feb.tif"), out (int, int) plainSize);
        Assert.Equal((36, 19), plainSize);
        Band(Path.Combine(averaged, "feb.tif"), out (int, int) averagedSize);
        Assert.Equal((144, 72), averagedSize);
        // Compared on the grid's own size, exported again without --size.
        float[] averagedValues = Band(await ExportAsync(PredictionId(second)), out _);
        Assert.NotEqual(plainValues, averagedValues);

        // Panorama orientation: a turned camera sees another map.
        string photo = TestRasters.WritePlainPng(Path.Combine(_files, "room.png"), 72, 36, (lat, lon) => (byte)(lon < 0 ? 40 : 200));
        string level = Path.Combine(_files, "level");
        string turned = Path.Combine(_files, "turned");
        Assert.Equal(0, (await RunAsync("predict", "--model", "land-water", "--out", level, photo, "--input-kind", "panorama", "--format", "geotiff", "--probabilities")).ExitCode);
        CliResult yawed = await RunAsync("predict", "--model", "land-water", "--out", turned, photo, "--input-kind", "panorama", "--format", "geotiff", "--probabilities",
            "--yaw", "90", "--pitch", "10", "--roll", "-5");
        Assert.True(yawed.ExitCode == 0, yawed.ToString());
        Assert.NotEqual(Band(Path.Combine(level, "room.tif"), out _), Band(Path.Combine(turned, "room.tif"), out _));
    }

    [Fact]
    public async Task Predict_refuses_contradictory_or_malformed_flags_before_uploading_anything()
    {
        string input = TestRasters.WriteAnalyticGeoTiff(Path.Combine(_files, "mar.tif"), 72, 36);
        string output = Path.Combine(_files, "out");
        (string[] Flags, string Message)[] cases =
        [
            (["--yaw", "30"], "--input-kind panorama"),
            (["--roll", "1"], "--input-kind panorama"),
            (["--rotation-averaging", "-1"], "--rotation-averaging"),
            (["--export-size", "100"], "WIDTHxHEIGHT"),
            (["--export-size", "0x50"], "WIDTHxHEIGHT"),
            (["--format", "geojson", "--export-size", "100x50"], "no pixel size"),
            (["--input-kind", "dataset", "--compare", "--probabilities"], "--probabilities"),
            (["--rotaton-averaging", "4"], "did you mean '--rotation-averaging'?"),
            (["--level-refinements", "1"], "--level-with"),
            (["--level-with", "rooms-level", "--rotation-averaging", "4"], "do not combine"),
        ];
        foreach ((string[] flags, string message) in cases)
        {
            CliResult result = await RunAsync(["predict", "--model", "land-water", "--out", output, input, .. flags, "--json"]);
            Assert.True(result.ExitCode == ExitCodes.Usage, $"{string.Join(' ', flags)}: {result}");
            Assert.Contains(message, result.Error, StringComparison.Ordinal);
            using JsonDocument json = JsonDocument.Parse(result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
            Assert.Equal("USAGE", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        }

        Assert.Empty(await _client.ListDatasetsAsync().ToListAsync());

        // Limits the server owns come back as its field violation.
        await RunAsync("models", "import", Packages.Write(_files, "m.discomodel", seed: 7));
        CliResult tooMany = await RunAsync("predict", "--model", "land-water", "--out", output, input, "--rotation-averaging", "65");
        Assert.Equal(ExitCodes.JobUnsuccessful, tooMany.ExitCode);
        Assert.Contains("rotation_averaging", tooMany.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Datasets_show_prints_the_provenance_of_an_ingested_dataset()
    {
        string tif = TestRasters.WriteAnalyticGeoTiff(Path.Combine(_files, "field.tif"), 72, 36);
        Assert.Equal(0, (await RunAsync("datasets", "upload", tif)).ExitCode);
        CliResult ingest = await RunAsync("datasets", "ingest", "--name", "field-grid", "--from", "field", "--grid", "equiangular:19x36", "--band", "1:input:bilinear:f");
        Assert.True(ingest.ExitCode == 0, ingest.ToString());

        CliResult show = await RunAsync("datasets", "show", "field-grid");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("ingested onto", show.Output, StringComparison.Ordinal);
        Assert.Contains("source 0 (main)", show.Output, StringComparison.Ordinal);
        Assert.Contains("GTiff", show.Output, StringComparison.Ordinal);
        Assert.Contains("EPSG:4326", show.Output, StringComparison.Ordinal);
        Assert.Contains("72 x 36 pixels", show.Output, StringComparison.Ordinal);
        Assert.Contains("field.tif", show.Output, StringComparison.Ordinal);
        Assert.Contains("from source 0 band 1, bilinear", show.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(_server.DataDirectory, show.Output, StringComparison.Ordinal);

        CliResult json = await RunAsync("datasets", "show", "field-grid", "--json");
        using JsonDocument document = JsonDocument.Parse(json.Output);
        using JsonDocument provenance = JsonDocument.Parse(document.RootElement.GetProperty("provenanceJson").GetString()!);
        Assert.Equal("GTiff", provenance.RootElement.GetProperty("sources")[0].GetProperty("driver").GetString());
    }

    private async Task<string> PredictOneAsync(string name)
    {
        await RunAsync("models", "import", Packages.Write(_files, "lw.discomodel", seed: 4));
        string input = TestRasters.WriteAnalyticGeoTiff(Path.Combine(_files, name + ".tif"), 72, 36);
        CliResult predict = await RunAsync("predict", "--model", "land-water", "--out", Path.Combine(_files, "maps"), input, "--json");
        Assert.True(predict.ExitCode == 0, predict.ToString());
        return PredictionId(predict);
    }

    private async Task<string> ExportAsync(string predictionId)
    {
        string path = Path.Combine(_files, "check.tif");
        CliResult export = await RunAsync("predictions", "export", predictionId, path, "--format", "geotiff");
        Assert.True(export.ExitCode == 0, export.ToString());
        return path;
    }

    private static string PredictionId(CliResult result)
    {
        using JsonDocument json = JsonDocument.Parse(result.Output);
        return Assert.Single(json.RootElement.EnumerateArray()).GetProperty("predictionId").GetString()!;
    }

    private static float[] Band(string path, out (int Width, int Height) size)
    {
        using GdalDataset map = GdalDataset.Open(path);
        size = (map.Width, map.Height);
        var values = new float[map.Width * map.Height];
        map.GetBand(1).Read<float>(values, 0, 0, map.Width, map.Height);
        return values;
    }

    private Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(_server, args);
}

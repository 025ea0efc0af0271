using System.Text.Json;
using Disco.Geo.Cli;
using Disco.Geo.Client;
using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Protos.V1;
using Disco.Geo.Raster.Panoramas;
using Disco.Geo.Scenes;
using Disco.Geo.Scenes.Generation;
using Disco.Geo.Scenes.IO;
using Disco.Geo.Scenes.Rendering;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests.EndToEnd;

/// <summary>
/// Panoramas through the product (issue 13): synthetic scenes written by `disco samples scenes`, read by real GDAL,
/// ingested, trained on and predicted through the CLI against a real server; one handedness for synthetic and real
/// panoramas; real photos with alpha (validity) and grey photos for an RGB model.
/// </summary>
public sealed class PanoramaSamplesTests() : ServerTests("panorama-samples")
{
    [Fact]
    public async Task Scene_samples_are_an_rgb_png_a_palette_png_of_class_ids_and_a_float32_depth_tiff()
    {
        string directory = Path.Combine(_files, "scenes");
        CliResult written = await CliRunner.RunAsync(null, "samples", "scenes", "--out", directory, "--count", "2", "--seed", "5", "--height", "16", "--json");
        Assert.True(written.ExitCode == 0, written.ToString());
        using (JsonDocument manifest = JsonDocument.Parse(written.Output))
        {
            Assert.Equal(["floor", "ceiling", "wall", "object"], manifest.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
            Assert.Equal(2, manifest.RootElement.GetProperty("scenes").GetArrayLength());
        }

        Panorama expected = PanoramaDataset.Item(5, 1, 16, 32);
        using (GdalDataset rgb = GdalDataset.Open(Path.Combine(directory, "scene-0001.png")))
        {
            Assert.Equal((32, 16, 3), (rgb.Width, rgb.Height, rgb.BandCount));
            byte[] green = new byte[32 * 16];
            rgb.GetBand(2).Read<byte>(green, 0, 0, 32, 16);
            Assert.Equal(expected.Rgb.Skip(512).Take(512).Select(v => (byte)Math.Round(v * 255.0)), green);
        }

        using (GdalDataset labels = GdalDataset.Open(Path.Combine(directory, "scene-0001-labels.png")))
        {
            Assert.Equal(1, labels.BandCount);
            GdalBand band = labels.GetBand(1);
            Assert.Equal(ColorInterpretation.Palette, band.ColorInterpretation);
            Assert.Equal(SceneLabels.DisplayColors.Select(c => new ColorEntry(c.R, c.G, c.B)), band.GetColorTable()!);
            byte[] ids = new byte[32 * 16];
            band.Read<byte>(ids, 0, 0, 32, 16);
            Assert.Equal(expected.Labels, ids);
        }

        using (GdalDataset depth = GdalDataset.Open(Path.Combine(directory, "scene-0001-depth.tif")))
        {
            GdalBand band = depth.GetBand(1);
            Assert.Equal(GdalDataType.Float32, band.DataType);
            float[] metres = new float[32 * 16];
            band.Read<float>(metres, 0, 0, 32, 16);
            Assert.Equal(expected.Depth, metres);
        }

        // The same arguments write the same bytes.
        string again = Path.Combine(_files, "again");
        Assert.Equal(0, (await CliRunner.RunAsync(null, "samples", "scenes", "--out", again, "--count", "2", "--seed", "5", "--height", "16")).ExitCode);
        Assert.Equal(File.ReadAllBytes(Path.Combine(directory, "scene-0001-depth.tif")), File.ReadAllBytes(Path.Combine(again, "scene-0001-depth.tif")));

        foreach (string[] bad in new[] { new[] { "--count", "0" }, ["--height", "2"], ["--cameras", "tilted"], ["--prefix", "a b"] })
        {
            CliResult refused = await CliRunner.RunAsync(null, ["samples", "scenes", "--out", Path.Combine(_files, "bad"), .. bad]);
            Assert.True(refused.ExitCode == ExitCodes.Usage, $"{string.Join(' ', bad)}: {refused}");
        }
    }

    /// <summary>
    /// One handedness: in a box room without furniture, the wall on the camera's right (clockwise azimuth +90°) must
    /// appear at longitude +90° after the server ingests the written depth image, both as a dataset and as a
    /// panorama, at the analytic distance; the left wall at −90°. The library used to draw the mirror image.
    /// </summary>
    [Fact]
    public async Task The_wall_on_the_cameras_right_lands_at_longitude_plus_90_through_the_real_ingest()
    {
        const int height = 32, width = 64;
        var options = new DatasetOptions { Scene = new SceneOptions { MergedRoomProbability = 0, MinObjects = 0, MaxObjects = 0, MaxDoors = 0, MaxWindows = 0 } };
        string directory = Path.Combine(_files, "boxes");
        IReadOnlyList<PanoramaSampleFiles> files = PanoramaSampleSet.Write(directory, 3, 11, height, "box", options);
        // Nodes on the pixel centres (column 0 at −180° + half a pixel), so every node reads exactly one pixel.
        double origin = -180 + (180.0 / width);
        SphereGrid grid = SphereGrid.Create(Geo.Grids.GridKind.Equirectangular, height, width, origin);
        int row = height / 2;
        int right = 3 * width / 4, left = width / 4;
        int checkedScenes = 0;
        foreach (PanoramaSampleFiles file in files)
        {
            (Scene scene, Camera camera) = PanoramaDataset.SceneAndCamera(11, file.Index, options);
            double rightWall = WallDistance(scene, camera, SphericalProjection.Colatitude(row, height), SphericalProjection.Azimuth(right, width));
            double leftWall = WallDistance(scene, camera, SphericalProjection.Colatitude(row, height), SphericalProjection.Azimuth(left, width));
            if (Math.Abs(rightWall - leftWall) < 0.3)
            {
                continue; // A symmetric view cannot tell a mirror image.
            }

            checkedScenes++;
            string depthId = (await _client.UploadFileAsync(Path.Combine(directory, file.Depth))).Dataset.Id;
            CliResult ingest = await RunAsync("datasets", "ingest", "--name", file.Stem, "--from", depthId, "--grid", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"equirectangular:{height}x{width}:{origin}"),
                "--band", "1:input:nearest:depth");
            Assert.True(ingest.ExitCode == 0, ingest.ToString());
            GriddedValues ingested = await GriddedValues.DownloadAsync(_client, file.Stem);
            Assert.Equal(90 + 180.0 / width, ingested.Longitudes[right], 9);
            Assert.Equal(rightWall, ingested[0, row, right], 4);
            Assert.Equal(leftWall, ingested[0, row, left], 4);

            var photo = await new PanoramaIngestor().IngestAsync(Path.Combine(directory, file.Depth), grid, new PanoramaOptions { Resampling = Raster.Resampling.Nearest });
            Assert.Equal(rightWall, photo.Data[(row * width) + right], 4);
        }

        Assert.True(checkedScenes >= 2, $"only {checkedScenes} rooms were asymmetric enough");
    }

    [Fact]
    public async Task Synthetic_scenes_train_and_predict_with_the_cli_alone()
    {
        string directory = Path.Combine(_files, "rooms");
        Assert.Equal(0, (await CliRunner.RunAsync(null, "samples", "scenes", "--out", directory, "--count", "3", "--seed", "2", "--height", "16", "--prefix", "room")).ExitCode);
        for (int i = 0; i < 3; i++)
        {
            string stem = $"room-{i:D4}";
            CliResult upload = await RunAsync("datasets", "upload", Path.Combine(directory, stem + ".png"), Path.Combine(directory, stem + "-labels.png"));
            Assert.True(upload.ExitCode == 0, upload.ToString());
            CliResult ingest = await RunAsync("datasets", "ingest", "--name", "g-" + stem, "--from", stem, "--extra", stem + "-labels", "--grid", "equirectangular:16x32",
                "--band", "1:input::red", "--band", "2:input::green", "--band", "3:input::blue", "--band", "1.1:label:nearest:class");
            Assert.True(ingest.ExitCode == 0, ingest.ToString());
        }

        CliResult train = await RunAsync("train", "--model-name", "rooms", "--task", "segmentation", "--class-names", "floor,ceiling,wall,object",
            "--dataset", "g-room-0000", "g-room-0001", "--levels", "2", "--channels", "4", "--epochs", "2", "--seed", "3");
        Assert.True(train.ExitCode == 0, train.ToString());

        // Held-out scene: scored against its labels, classes named.
        string maps = Path.Combine(_files, "maps");
        CliResult scored = await RunAsync("predict", "--model", "rooms", "--input-kind", "dataset", "g-room-0002", "--out", maps, "--format", "cog", "--json");
        Assert.True(scored.ExitCode == 0, scored.ToString());
        Prediction prediction = (await _client.ListPredictionsAsync().ToListAsync()).Single();
        Assert.Contains("miou", prediction.Summary.Metrics.Keys);
        Assert.Contains(prediction.Summary.ClassAreas, a => a.ClassName == "wall");

        // The photo itself at two camera orientations, with probabilities.
        string photo = Path.Combine(directory, "room-0002.png");
        CliResult level = await RunAsync("predict", "--model", "rooms", "--input-kind", "panorama", photo, "--out", Path.Combine(_files, "level"), "--format", "geotiff");
        CliResult turned = await RunAsync("predict", "--model", "rooms", "--input-kind", "panorama", photo, "--out", Path.Combine(_files, "turned"), "--format", "geotiff",
            "--yaw", "90", "--probabilities", "--rotation-averaging", "2");
        Assert.True(level.ExitCode == 0 && turned.ExitCode == 0, level + "\n" + turned);
        using GdalDataset probabilities = GdalDataset.Open(Path.Combine(_files, "turned", "room-0002.tif"));
        Assert.Equal(4, probabilities.BandCount);
    }

    [Fact]
    public async Task A_photo_with_alpha_gets_no_prediction_where_transparent_and_a_grey_photo_is_read_as_rgb()
    {
        await RunAsync("models", "import", Packages.Write(_files, "rgb.discomodel", seed: 4, name: "rgb", inputs: 3));

        // Sky (upper third) transparent, as in stellarium's landscape panoramas.
        string rgba = TestRasters.WritePhoto(Path.Combine(_files, "landscape.png"), 4, (lat, lon, band) => band == 3 ? (lat > 30 ? 0 : 255) : Shade(lat, lon, band));
        string id = (await _client.UploadFileAsync(rgba)).Dataset.Id;
        PredictionArray masked = await _client.PredictToArrayAsync(new PredictRequest { Model = "rgb", Panorama = new PanoramaSource { DatasetId = id } });
        SphereGrid grid = Packages.Grid;
        for (int i = 0; i < grid.NLat; i++)
        {
            double latitude = 90 - (grid.Colatitudes[i] * 180 / Math.PI);
            if (Math.Abs(latitude - 30) < 12)
            {
                continue; // Rows that straddle the edge of the sky.
            }

            for (int p = 0; p < grid.NLon; p++)
            {
                Assert.True(masked.Mask[(i * grid.NLon) + p] == (latitude > 30 ? 0 : 1), $"row {i} ({latitude:F0}°), column {p}");
            }
        }

        // The export writes nodata where there is no prediction.
        string maps = Path.Combine(_files, "masked");
        Assert.Equal(0, (await RunAsync("predict", "--model", "rgb", "--input-kind", "panorama", rgba, "--out", maps, "--format", "geotiff")).ExitCode);
        using (GdalDataset map = GdalDataset.Open(Path.Combine(maps, "landscape.tif")))
        {
            GdalBand band = map.GetBand(1);
            double nodata = band.NoDataValue ?? throw new Xunit.Sdk.XunitException("the class map has no nodata value");
            byte[] top = new byte[map.Width];
            band.Read<byte>(top, 0, 0, map.Width, 1);
            Assert.All(top, v => Assert.Equal(nodata, v));
        }

        // Grey + alpha: refused before ("reads 3 input band(s) but the panorama has 1"), now the grey channel is
        // replicated, so it predicts exactly what the same picture stored as R = G = B predicts.
        string grey = TestRasters.WritePhoto(Path.Combine(_files, "grey.png"), 2, (lat, lon, band) => band == 1 ? (lat > 30 ? 0 : 255) : Shade(lat, lon, 0));
        string asRgb = TestRasters.WritePhoto(Path.Combine(_files, "grey-as-rgb.png"), 4, (lat, lon, band) => band == 3 ? (lat > 30 ? 0 : 255) : Shade(lat, lon, 0));
        PredictionArray fromGrey = await _client.PredictToArrayAsync(new PredictRequest
        {
            Model = "rgb",
            Output = PredictionOutput.Probabilities,
            Panorama = new PanoramaSource { DatasetId = (await _client.UploadFileAsync(grey)).Dataset.Id },
        });
        PredictionArray fromRgb = await _client.PredictToArrayAsync(new PredictRequest
        {
            Model = "rgb",
            Output = PredictionOutput.Probabilities,
            Panorama = new PanoramaSource { DatasetId = (await _client.UploadFileAsync(asRgb)).Dataset.Id },
        });
        Assert.Equal(fromRgb.Mask, fromGrey.Mask);
        Assert.Equal(fromRgb.Values, fromGrey.Values);

        // A two-band picture that is not grey (+ alpha) is still refused, naming the band counts.
        string twoBands = (await _client.UploadFileAsync(WriteFloatTiff(Path.Combine(_files, "two.tif")))).Dataset.Id;
        var wrongModel = await Assert.ThrowsAsync<DiscoException>(() => _client.PredictToArrayAsync(new PredictRequest
        {
            Model = "rgb",
            Panorama = new PanoramaSource { DatasetId = twoBands },
        }));
        Assert.Contains("3 input band(s)", wrongModel.Message, StringComparison.Ordinal);
    }

    private Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(_server, args);

    /// <summary>Distance from the camera to the box room's boundary along the camera-frame direction (colatitude, clockwise azimuth).</summary>
    private static double WallDistance(Scene scene, Camera camera, double colatitude, double azimuth)
    {
        // Upright camera: yaw is counter-clockwise from the scene's x axis, azimuth clockwise from forward.
        double heading = camera.Yaw - azimuth;
        double[] d = [Math.Sin(colatitude) * Math.Cos(heading), Math.Sin(colatitude) * Math.Sin(heading), Math.Cos(colatitude)];
        double[] o = [camera.X, camera.Y, camera.Z];
        double[] size = [scene.Width, scene.Depth, scene.Height];
        double best = double.PositiveInfinity;
        for (int k = 0; k < 3; k++)
        {
            if (Math.Abs(d[k]) > 1e-12)
            {
                best = Math.Min(best, ((d[k] > 0 ? size[k] : 0) - o[k]) / d[k]);
            }
        }

        return best;
    }

    private static int Shade(double lat, double lon, int band) => (int)(127 + (100 * Math.Sin((lon / 40) + band) * Math.Cos(lat / 30)));

    /// <summary>A 72×36 PNG without georeferencing, band b's value f(latitude, longitude, b); the last band of 2 or 4 is alpha.</summary>

    /// <summary>A 72×36 two-band Float32 TIFF: neither grey + alpha nor RGB.</summary>
    private static string WriteFloatTiff(string path)
    {
        using GdalDataset tiff = GdalDataset.Create("GTiff", path, 72, 36, 2, GdalDataType.Float32);
        float[] plane = [.. Enumerable.Range(0, 72 * 36).Select(k => (float)(k % 72))];
        tiff.GetBand(1).Write<float>(plane, 0, 0, 72, 36);
        tiff.GetBand(2).Write<float>(plane, 0, 0, 72, 36);
        return path;
    }
}

using System.Text.Json;
using Disco.Geo.Client;
using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Protos.V1;
using Disco.Geo.Raster.Panoramas;
using Disco.Geo.Server.Tests.Infrastructure;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Packaging;
using SphereOutput = Disco.Geo.Sphere.Inference.PredictionOutput;

namespace Disco.Geo.Server.Tests.EndToEnd;

/// <summary>
/// Ingest → train → predict through the typed client against a real server: progress events, the model card, tiles
/// streamed before the summary, and the assembled map equal to an in-process <see cref="SpherePredictor"/> run of the
/// exported package on the same input (dataset, uploaded raster, panorama).
/// </summary>
public sealed class TrainAndPredictTests(TrainedModelFixture fixture) : IClassFixture<TrainedModelFixture>
{
    private DiscoClient Client => fixture.Client;

    [Fact]
    public void Training_streams_epochs_steps_losses_metrics_throughput_and_eta_and_ends_with_a_model()
    {
        List<Job> running = fixture.Events.Where(e => e.State == JobState.Running && e.Progress?.TotalSteps > 0).ToList();
        Assert.True(running.Count >= 3, $"only {running.Count} running events with steps");
        Assert.All(running, e => Assert.Equal(30, e.Progress.TotalSteps));
        Assert.All(running, e => Assert.Equal(15, e.Progress.TotalEpochs));
        Assert.Contains(running, e => e.Progress.Stage == "training" && e.Progress.Metrics.ContainsKey("loss") && e.Progress.Throughput > 0
            && e.Progress.ThroughputUnit == "samples/s" && e.Progress.Eta is not null && e.Progress.Epoch >= 1);
        Assert.Contains(fixture.Events, e => e.Progress?.Metrics.ContainsKey("miou") == true);
        long[] steps = [.. running.Select(e => e.Progress.Step)];
        Assert.Equal(steps.Order(), steps);
        Assert.Equal(1.0, fixture.Job.Progress.Fraction, 3);

        Model model = fixture.Model;
        Assert.Equal("tiny-land", model.Name);
        Assert.Equal(("disco-unet", "segmentation"), (model.Architecture, model.Task));
        Assert.Equal(TinyTraining.Grid17, model.Grid);
        Assert.Equal(["water", "land"], model.Classes.Select(c => c.Name));
        Assert.Equal(["#1f4e9c", "#3c8d2f"], model.Classes.Select(c => c.Color));
        Assert.Equal(30, model.Metrics["steps"]);
        Assert.InRange(model.Metrics["miou"], 0, 1);
        Assert.InRange(model.Metrics["accuracy"], 0.6, 1);
        using JsonDocument card = JsonDocument.Parse(model.CardJson);
        JsonElement provenance = card.RootElement.GetProperty("provenance");
        Assert.Equal("validation", provenance.GetProperty("final_metrics_source").GetString());
        Assert.Equal(30, JsonDocument.Parse(provenance.GetProperty("loss_curve").GetString()!).RootElement.GetArrayLength());
        Assert.Equal(["f"], card.RootElement.GetProperty("input_bands").EnumerateArray().Select(b => b.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Predicting_on_a_dataset_streams_tiles_then_a_summary_equal_to_the_in_process_predictor()
    {
        var order = new List<PredictResponse.MessageOneofCase>();
        var assembler = new TileAssembler(17, 32);
        PredictionSummary? summary = null;
        await foreach (PredictResponse message in Client.PredictAsync(new PredictRequest { Model = "tiny-land", Dataset = "valid", StreamTiles = true, RowsPerTile = 4 }))
        {
            order.Add(message.MessageCase);
            if (message.Tile is { } tile)
            {
                // One tile contract for live, replayed and downloaded maps: tiles start every RowsPerTile rows, span
                // every column and carry the coordinates of their rows and columns.
                Assert.Equal(0, tile.RowStart % 4);
                Assert.Equal(Math.Min(4, 17 - tile.RowStart), tile.RowCount);
                Assert.Equal((0, 32), (tile.ColStart, tile.ColCount));
                Assert.Equal(tile.RowCount, tile.LatitudesDegrees.Count);
                Assert.Equal(32, tile.LongitudesDegrees.Count);
                assembler.Add(tile);
            }

            summary ??= message.Summary;
        }

        Assert.Equal(PredictResponse.MessageOneofCase.Prediction, order[0]);
        Assert.Equal(PredictResponse.MessageOneofCase.Summary, order[^1]);
        Assert.Equal(5, order.Count(m => m == PredictResponse.MessageOneofCase.Tile));
        Assert.True(order.LastIndexOf(PredictResponse.MessageOneofCase.Tile) < order.Count - 1);

        float[] expected = await InProcessAsync(await InputOfAsync("valid"), SphereOutput.Values);
        Assert.Equal(expected, assembler.Values);
        Assert.All(assembler.Mask, m => Assert.Equal(1, m));

        // Class areas come from the quadrature weights: they add up to the Earth's surface.
        Assert.NotNull(summary);
        Assert.Equal(["water", "land"], summary.ClassAreas.Select(a => a.ClassName));
        Assert.Equal(1.0, summary.ClassAreas.Sum(a => a.Fraction), 6);
        Assert.InRange(summary.ClassAreas.Sum(a => a.AreaKm2), 509.9e6, 510.2e6);
        double landFraction = AreaFraction(expected, 1);
        Assert.Equal(landFraction, summary.ClassAreas[1].Fraction, 6);

        // The dataset has its labels: the summary scores the held-out map against them, area-weighted.
        GriddedValues valid = await GriddedValues.DownloadAsync(Client, "valid");
        float[] truth = valid.Values.AsSpan(valid.Band("above") * 17 * 32, 17 * 32).ToArray();
        SphereGrid grid = SphereGrid.Create(Geo.Grids.GridKind.Equiangular, 17, 32, -180);
        double[,] confusion = new double[2, 2];
        for (int k = 0; k < truth.Length; k++)
        {
            confusion[(int)truth[k], (int)expected[k]] += grid.NodeArea(k / 32);
        }

        double total = confusion[0, 0] + confusion[0, 1] + confusion[1, 0] + confusion[1, 1];
        double iouWater = confusion[0, 0] / (confusion[0, 0] + confusion[0, 1] + confusion[1, 0]);
        double iouLand = confusion[1, 1] / (confusion[1, 1] + confusion[0, 1] + confusion[1, 0]);
        Assert.Equal((confusion[0, 0] + confusion[1, 1]) / total, summary.Metrics["accuracy"], 9);
        Assert.Equal(iouWater, summary.Metrics["iou_water"], 9);
        Assert.Equal(iouLand, summary.Metrics["iou_land"], 9);
        Assert.Equal((iouWater + iouLand) / 2, summary.Metrics["miou"], 9);
    }

    [Fact]
    public async Task The_cli_exports_a_held_out_prediction_several_ways_with_scores_a_comparison_picture_and_learning_curves()
    {
        string output = Path.Combine(fixture.Files, "cli-" + Guid.NewGuid().ToString("N"));

        // A first run writes only the COG; the second asks for more of the same prediction, which the server replays
        // (same request id) with its tiles, so the comparison picture can still be drawn.
        CliResult first = await CliRunner.RunAsync(fixture.Server, "predict", "--model", "tiny-land", "--input-kind", "dataset", "valid", "--format", "cog", "--out", output);
        Assert.True(first.ExitCode == 0, first.ToString());
        CliResult predicted = await CliRunner.RunAsync(fixture.Server, "predict", "--model", "tiny-land", "--input-kind", "dataset", "valid",
            "--format", "cog,geojson,png", "--compare", "--out", output, "--json");
        Assert.True(predicted.ExitCode == 0, predicted.ToString());
        using (JsonDocument json = JsonDocument.Parse(predicted.Output))
        {
            JsonElement result = json.RootElement[0];
            Assert.Equal("done", result.GetProperty("status").GetString());
            Assert.Equal(4, result.GetProperty("outputs").GetArrayLength());
            Prediction record = await Client.GetPredictionAsync(result.GetProperty("predictionId").GetString()!);
            Assert.Equal(record.Summary.Metrics["miou"], result.GetProperty("metrics").GetProperty("miou").GetDouble());
            Assert.Equal(record.Summary.Metrics["accuracy"], result.GetProperty("metrics").GetProperty("accuracy").GetDouble());
        }

        using (Disco.Geo.Gdal.GdalDataset cog = Disco.Geo.Gdal.GdalDataset.Open(Path.Combine(output, "valid.tif")))
        {
            Assert.Equal(1, cog.BandCount);
        }

        using (Disco.Geo.Gdal.GdalDataset polygons = Disco.Geo.Gdal.GdalDataset.Open(Path.Combine(output, "valid.geojson"), Disco.Geo.Gdal.GdalOpenKind.Vector))
        {
            Assert.True(polygons.LayerCount >= 1);
        }

        // Three panels of 480 pixels side by side; the middle one shows the labels in the class colours.
        using (Disco.Geo.Gdal.GdalDataset comparison = Disco.Geo.Gdal.GdalDataset.Open(Path.Combine(output, "valid-vs-labels.png")))
        {
            Assert.Equal((3 * 480) + 40, comparison.Width);
            Assert.Equal(3, comparison.BandCount);
        }

        string curves = Path.Combine(output, "curves.png");
        CliResult shown = await CliRunner.RunAsync(fixture.Server, "models", "show", "tiny-land", "--curves", curves);
        Assert.True(shown.ExitCode == 0, shown.ToString());
        using (Disco.Geo.Gdal.GdalDataset png = Disco.Geo.Gdal.GdalDataset.Open(curves))
        {
            Assert.Equal((2 * 440) + 20, png.Width); // two panels: training loss and the validation metric
        }

        // Everything exists: a rerun skips the input without predicting again.
        CliResult again = await CliRunner.RunAsync(fixture.Server, "predict", "--model", "tiny-land", "--input-kind", "dataset", "valid",
            "--format", "cog,geojson,png", "--compare", "--out", output);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("skipped", again.Output, StringComparison.Ordinal);

        CliResult wrongKind = await CliRunner.RunAsync(fixture.Server, "predict", "--model", "tiny-land", "--compare", "--out", output, Path.Combine(fixture.Files, "valid.tif"));
        Assert.Equal(2, wrongKind.ExitCode);
        Assert.Contains("--compare needs --input-kind dataset", wrongKind.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_repeated_request_id_replays_the_finished_prediction_with_the_same_tiles_and_summary()
    {
        var request = new PredictRequest { Model = "tiny-land", Dataset = "valid", StreamTiles = true, RowsPerTile = 6, RequestId = "replay-" + Guid.NewGuid().ToString("N") };
        PredictionArray once = await Client.PredictToArrayAsync(request);
        PredictionArray again = await Client.PredictToArrayAsync(request);
        Assert.Equal(once.Prediction.Id, again.Prediction.Id);
        Assert.Equal((17, 32), (again.Rows, again.Columns));
        Assert.Equal(once.Values, again.Values);
        Assert.Equal(once.Mask, again.Mask);
        Assert.Equal(once.Summary, again.Summary);
    }

    [Fact]
    public async Task A_request_id_reused_for_a_different_request_is_refused_naming_the_conflict_and_the_same_request_still_replays()
    {
        string requestId = "reuse-" + Guid.NewGuid().ToString("N");
        PredictionArray first = await Client.PredictToArrayAsync(new PredictRequest { Model = "tiny-land", Dataset = "valid", RequestId = requestId });

        DiscoException otherInput = await Expect.StatusAsync(Grpc.Core.StatusCode.AlreadyExists,
            () => Client.PredictToArrayAsync(new PredictRequest { Model = "tiny-land", Dataset = "train", RequestId = requestId }));
        Assert.Contains($"request_id '{requestId}' was already used for prediction {first.Prediction.Id}", otherInput.Message, StringComparison.Ordinal);
        Assert.Contains("different input", otherInput.Message, StringComparison.Ordinal);

        DiscoException otherOutput = await Expect.StatusAsync(Grpc.Core.StatusCode.AlreadyExists,
            () => Client.PredictToArrayAsync(new PredictRequest { Model = "tiny-land", Dataset = "valid", Output = Protos.V1.PredictionOutput.Probabilities, RotationAveraging = 3, RequestId = requestId }));
        Assert.Contains("different output, rotation_averaging", otherOutput.Message, StringComparison.Ordinal);

        // What does not change the result (name, tiles, streaming, priority) and the dataset named by id instead of
        // by name are the same request: replayed.
        PredictionArray same = await Client.PredictToArrayAsync(new PredictRequest
        {
            Model = "tiny-land",
            Dataset = fixture.Validation.Id,
            Output = Protos.V1.PredictionOutput.Values,
            RotationAveraging = 1,
            RequestId = requestId,
            Name = "another-name",
            StreamTiles = true,
            RowsPerTile = 4,
            Priority = 5,
        });
        Assert.Equal(first.Prediction.Id, same.Prediction.Id);
        var withRequestId = new List<Prediction>();
        await foreach (Prediction prediction in Client.ListPredictionsAsync(requestId: requestId))
        {
            withRequestId.Add(prediction);
        }

        Assert.Single(withRequestId);
    }

    [Fact]
    public async Task Probabilities_and_rotation_averaging_give_one_band_per_class_consistent_with_the_class_map()
    {
        PredictionArray probabilities = await Client.PredictToArrayAsync(new PredictRequest { Model = "tiny-land", Dataset = "valid", Output = Protos.V1.PredictionOutput.Probabilities });
        Assert.Equal(2, probabilities.Bands);
        float[] expected = await InProcessAsync(await InputOfAsync("valid"), SphereOutput.Probabilities);
        Assert.Equal(expected.Length, probabilities.Values.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], probabilities.Values[i], 5);
        }

        Prediction record = await Client.GetPredictionAsync(probabilities.Prediction.Id);
        Assert.Equal(["p_water", "p_land"], record.Bands.Select(b => b.Name));

        PredictionArray averaged = await Client.PredictToArrayAsync(new PredictRequest { Model = "tiny-land", Dataset = "valid", Output = Protos.V1.PredictionOutput.Probabilities, RotationAveraging = 4 });
        Assert.Equal(2, averaged.Bands);
        Assert.All(Enumerable.Range(0, 17 * 32), k => Assert.Equal(1.0, averaged.Values[k] + averaged.Values[(17 * 32) + k], 4));
        Assert.NotEqual(probabilities.Values, averaged.Values);
    }

    [Fact]
    public async Task An_uploaded_raster_and_a_panorama_are_resampled_onto_the_model_grid_first()
    {
        string tif = TinyTraining.WriteInputGeoTiff(Path.Combine(fixture.Files, "world-f.tif"));
        string raster = (await Client.UploadFileAsync(tif)).Dataset.Id;
        PredictionArray fromRaster = await Client.PredictToArrayAsync(new PredictRequest { Model = "tiny-land", Raster = new RasterSource { DatasetId = raster } });
        Assert.Equal((1, 17, 32), (fromRaster.Bands, fromRaster.Rows, fromRaster.Columns));
        Assert.Equal(await InProcessAsync(await InputOfAsync("train"), SphereOutput.Values), fromRaster.Values);

        // A server-side path under an import root works the same way.
        PredictionArray fromPath = await Client.PredictToArrayAsync(new PredictRequest { Model = "tiny-land", Raster = new RasterSource { ServerPath = tif } });
        Assert.Equal(fromRaster.Values, fromPath.Values);

        // A 2:1 photo as a panorama, turned by a camera yaw.
        string photo = TestRasters.WritePlainPng(Path.Combine(fixture.Files, "room.png"), 128, 64, (lat, lon) => (byte)(AnalyticField.F(lat, lon) * 12));
        string uploaded = (await Client.UploadFileAsync(photo)).Dataset.Id;
        PredictionArray fromPanorama = await Client.PredictToArrayAsync(new PredictRequest { Model = "tiny-land", Panorama = new PanoramaSource { DatasetId = uploaded, YawDegrees = 30 } });
        SphereGrid grid = SphereGrid.Create(Geo.Grids.GridKind.Equiangular, 17, 32, -180);
        var resampled = await new PanoramaIngestor().IngestAsync(photo, grid, new PanoramaOptions { Orientation = new CameraOrientation(30) });
        Assert.Equal(await InProcessAsync(resampled.Data, SphereOutput.Values), fromPanorama.Values);
        Assert.Equal(2, fromPanorama.Summary.ClassAreas.Count);
    }

    [Fact]
    public async Task An_image_without_georeferencing_placed_by_bounds_predicts_like_the_same_pixels_as_a_georeferenced_geotiff()
    {
        // 0..90° E × 0..45° N, 60 × 40 pixels: not 2:1, so without bounds it would be refused.
        (int width, int height) = (60, 40);
        var bounds = new GeographicBounds { West = 0, South = 0, East = 90, North = 45 };
        byte[] pixels = new byte[width * height];
        for (int r = 0; r < height; r++)
        {
            for (int c = 0; c < width; c++)
            {
                pixels[(r * width) + c] = (byte)(AnalyticField.F(45 - ((r + 0.5) * 45.0 / height), (c + 0.5) * 90.0 / width) * 12);
            }
        }

        string png = Path.Combine(fixture.Files, "placed-region.png");
        using (GdalDataset memory = GdalDataset.CreateInMemory(width, height, 1, GdalDataType.Byte))
        {
            memory.GetBand(1).Write<byte>(pixels, 0, 0, width, height);
            using (memory.CreateCopy("PNG", png))
            {
            }
        }

        File.Delete(png + ".aux.xml");
        string tif = Path.Combine(fixture.Files, "referenced-region.tif");
        using (GdalDataset dataset = GdalDataset.Create("GTiff", tif, width, height, 1, GdalDataType.Byte))
        {
            dataset.SetGeoTransform(GeoTransform.NorthUp(0, 45, 90.0 / width, 45.0 / height));
            using SpatialReference wgs84 = SpatialReference.Wgs84();
            dataset.SetSpatialReference(wgs84);
            dataset.GetBand(1).Write<byte>(pixels, 0, 0, width, height);
        }

        string placedId = (await Client.UploadFileAsync(png)).Dataset.Id;
        PredictionArray placed = await Client.PredictToArrayAsync(new PredictRequest { Model = "tiny-land", Raster = new RasterSource { DatasetId = placedId, Bounds = bounds } });
        PredictionArray referenced = await Client.PredictToArrayAsync(new PredictRequest { Model = "tiny-land", Raster = new RasterSource { DatasetId = (await Client.UploadFileAsync(tif)).Dataset.Id } });
        Assert.Equal(referenced.Mask, placed.Mask);
        Assert.Equal(referenced.Values, placed.Values);
        Assert.Contains((byte)0, placed.Mask);
        Assert.Contains((byte)1, placed.Mask);

        // Without bounds the same upload is refused as before (it is not 2:1), asking for them.
        DiscoException refused = await Expect.StatusAsync(Grpc.Core.StatusCode.InvalidArgument,
            () => Client.PredictToArrayAsync(new PredictRequest { Model = "tiny-land", Raster = new RasterSource { DatasetId = placedId } }));
        Assert.Contains("--bounds", refused.Message, StringComparison.Ordinal);

        // The CLI's --bounds gives the same prediction.
        string output = Path.Combine(fixture.Files, "cli-bounds-" + Guid.NewGuid().ToString("N"));
        CliResult cli = await CliRunner.RunAsync(fixture.Server, "predict", "--model", "tiny-land", "--bounds", "0,0,90,45", "--format", "cog", "--out", output, png, "--json");
        Assert.True(cli.ExitCode == 0, cli.ToString());
    }

    /// <summary>The input band of a stored dataset as the server holds it (downloaded as tiles).</summary>
    private async Task<float[]> InputOfAsync(string dataset)
    {
        GriddedValues values = await GriddedValues.DownloadAsync(Client, dataset);
        return values.Values.AsSpan(values.Band("f") * 17 * 32, 17 * 32).ToArray();
    }

    private async Task<float[]> InProcessAsync(float[] input, SphereOutput output)
    {
        string package = Path.Combine(fixture.Files, $"tiny-{Guid.NewGuid():N}.discomodel");
        await Client.ExportModelAsync("tiny-land", package);
        using LoadedModel loaded = await ModelPackage.LoadAsync(package, "cpu");
        var predictor = new SpherePredictor(loaded.Model);
        var result = new List<float[]>();
        await foreach (PredictionBand band in predictor.PredictBandsAsync(input, new PredictionOptions { Output = output, RowsPerBand = 17 }))
        {
            result.Add(band.Values);
        }

        return Assert.Single(result);
    }

    private static double AreaFraction(float[] classes, int id)
    {
        SphereGrid grid = SphereGrid.Create(Geo.Grids.GridKind.Equiangular, 17, 32, -180);
        double area = 0, total = 0;
        for (int k = 0; k < classes.Length; k++)
        {
            double w = grid.NodeArea(k / 32);
            total += w;
            area += classes[k] == id ? w : 0;
        }

        return area / total;
    }
}

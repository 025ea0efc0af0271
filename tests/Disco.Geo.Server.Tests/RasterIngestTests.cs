using System.Text.Json;
using Disco.Geo.Cli;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Grpc.Core;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// The GDAL ingest engine behind the real server: analytic rasters checked at the grid nodes, vector layers joined to
/// rasters, ungeoreferenced world images, bad inputs with their status codes and messages, and cancellation.
/// </summary>
public sealed class RasterIngestTests() : ServerTests("ingest", importRoot: true)
{
    private static readonly Grid Equiangular5 = new() { Kind = GridKind.Equiangular, Nlat = 37, Nlon = 72, LonOriginDegrees = -180 };

    [Fact]
    public async Task An_analytic_geotiff_lands_on_equiangular_and_gauss_nodes_through_the_client_and_the_cli()
    {
        // f has second derivatives up to ~10 per rad²: averaging 0.5° pixels over 5° cells errs by about h²/24·|f''| ≈ 3e-3,
        // GDAL's widened bilinear by about h²/12·|f''| ≈ 6e-3, more near the poles where the kernel is cut by the edge.
        string tif = TestRasters.WriteAnalyticGeoTiff(Path.Combine(_root, "f.tif"), 720, 360);
        Job job = await _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "f-equiangular", Grid = Equiangular5, ServerPath = new ServerPathSource { Path = tif } });
        Job done = await _client.WaitForJobAsync(job.Id);
        Assert.True(done.State == JobState.Succeeded, done.Error?.Message);
        Assert.Equal(1.0, done.Progress.Fraction);

        GriddedValues equiangular = await GriddedValues.DownloadAsync(_client, done.Result.DatasetId);
        Band band = Assert.Single(equiangular.Dataset.Bands);
        Assert.Equal(("f", BandRole.Input, Resampling.Average, 1), (band.Name, band.Role, band.Resampling, band.SourceBand));
        Assert.All(equiangular.Mask, m => Assert.Equal(1, m));
        Assert.True(MaxError(equiangular, 0, 90) < 1e-2, $"equiangular: max error {MaxError(equiangular, 0, 90)}");
        for (int p = 1; p < equiangular.NLon; p++)
        {
            Assert.Equal(equiangular[0, 0, 0], equiangular[0, 0, p]);
        }

        using (JsonDocument provenance = JsonDocument.Parse(equiangular.Dataset.ProvenanceJson))
        {
            JsonElement source = provenance.RootElement.GetProperty("sources")[0];
            Assert.Equal("raster", source.GetProperty("kind").GetString());
            Assert.Contains("4326", source.GetProperty("crs").GetString(), StringComparison.Ordinal);
            Assert.Equal(tif, source.GetProperty("paths")[0].GetString());
        }

        CliResult cli = await CliRunner.RunAsync(_server, "datasets", "ingest", "--name", "f-gauss", "--path", tif, "--grid", "legendre-gauss:36x72", "--band", "1:input:bilinear:value");
        Assert.True(cli.ExitCode == 0, cli.ToString());
        Assert.Contains("succeeded, dataset ds_", cli.Output, StringComparison.Ordinal);
        GriddedValues gauss = await GriddedValues.DownloadAsync(_client, "f-gauss");
        Assert.Equal(GridKind.LegendreGauss, gauss.Dataset.Grid.Kind);
        Assert.Equal(("value", Resampling.Bilinear), (gauss.Dataset.Bands[0].Name, gauss.Dataset.Bands[0].Resampling));
        Assert.True(MaxError(gauss, 0, 80) < 2e-2, $"gauss: max error {MaxError(gauss, 0, 80)} within 80°");
        Assert.True(MaxError(gauss, 0, 90) < 0.1, $"gauss: max error {MaxError(gauss, 0, 90)}");
    }

    [Fact]
    public async Task A_vector_label_layer_joins_a_raster_input_through_additional_sources()
    {
        string tif = TestRasters.WriteAnalyticGeoTiff(Path.Combine(_root, "f.tif"), 720, 360);
        string boxes = TestRasters.WriteBoxes(Path.Combine(_root, "boxes.geojson"), (-60, -30, 60, 30, 7));
        var grid = new Grid { Kind = GridKind.Equiangular, Nlat = 46, Nlon = 90, LonOriginDegrees = -180 };
        Job job = await _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "f-and-box",
            Grid = grid,
            ServerPath = new ServerPathSource { Path = tif },
            AdditionalSources = { new RasterSource { ServerPath = boxes } },
            Bands =
            {
                new BandSpec { SourceBand = 1, Role = BandRole.Input, Name = "f2", Scale = 2, Offset = 1 },
                new BandSpec { SourceIndex = 1, SourceBand = 1, Role = BandRole.Input, Name = "cover" },
                new BandSpec { SourceIndex = 1, SourceBand = 2, Role = BandRole.Label, Name = "inside" },
                new BandSpec { SourceIndex = 1, SourceBand = 3 },
            },
        });
        Job done = await _client.WaitForJobAsync(job.Id);
        Assert.True(done.State == JobState.Succeeded, done.Error?.Message);

        GriddedValues values = await GriddedValues.DownloadAsync(_client, "f-and-box");
        Assert.Equal(["f2", "cover", "inside", "code"], values.Dataset.Bands.Select(b => b.Name));
        Assert.Equal([BandRole.Input, BandRole.Input, BandRole.Label, BandRole.Label], values.Dataset.Bands.Select(b => b.Role));
        Assert.Equal([Resampling.Average, Resampling.Mode, Resampling.Mode], values.Dataset.Bands.Skip(1).Select(b => b.Resampling));
        Assert.Contains("layer 'boxes'", values.Dataset.Bands[1].Description, StringComparison.Ordinal);
        int inside = 0;
        for (int i = 0; i < values.NLat; i++)
        {
            for (int p = 0; p < values.NLon; p++)
            {
                double lat = values.Latitudes[i];
                double lon = values.Longitudes[p] > 180 ? values.Longitudes[p] - 360 : values.Longitudes[p];
                Assert.True(Math.Abs(values[0, i, p] - ((2 * AnalyticField.F(lat, lon)) + 1)) < 3e-2, $"f2 at {lat},{lon}: {values[0, i, p]}");
                if (Math.Abs(lat) < 26 && Math.Abs(lon) < 56)
                {
                    Assert.Equal((1f, 1f, 7f), (MathF.Round(values[1, i, p], 3), values[2, i, p], values[3, i, p]));
                    inside++;
                }
                else if (Math.Abs(lat) > 34 || Math.Abs(lon) > 64)
                {
                    Assert.Equal((0f, 0f, 0f), (MathF.Round(values[1, i, p], 3), values[2, i, p], values[3, i, p]));
                }
            }
        }

        Assert.True(inside > 300, $"{inside} nodes inside the box");
        using (JsonDocument provenance = JsonDocument.Parse(values.Dataset.ProvenanceJson))
        {
            JsonElement vector = provenance.RootElement.GetProperty("sources")[1];
            Assert.Equal(("vector", "boxes", 1), (vector.GetProperty("kind").GetString(), vector.GetProperty("layer").GetString(), vector.GetProperty("features").GetInt32()));
        }

        // The same layer as a validity mask through the CLI: only nodes inside the box keep data.
        CliResult cli = await CliRunner.RunAsync(_server, "datasets", "ingest", "--name", "f-masked", "--path", tif, "--extra", boxes,
            "--grid", "equiangular:46x90:-180", "--band", "1:input", "--band", "1.2:mask");
        Assert.True(cli.ExitCode == 0, cli.ToString());
        GriddedValues masked = await GriddedValues.DownloadAsync(_client, "f-masked");
        Assert.Single(masked.Dataset.Bands);
        for (int i = 0; i < masked.NLat; i++)
        {
            for (int p = 0; p < masked.NLon; p++)
            {
                double lat = masked.Latitudes[i];
                double lon = masked.Longitudes[p];
                if (Math.Abs(lat) < 26 && Math.Abs(lon) < 56)
                {
                    Assert.True(masked.Valid(i, p));
                }
                else if (Math.Abs(lat) > 34 || Math.Abs(lon) > 64)
                {
                    Assert.False(masked.Valid(i, p));
                    Assert.Equal(0f, masked[0, i, p]);
                }
            }
        }
    }

    [Fact]
    public async Task An_ungeoreferenced_two_to_one_png_is_a_global_image_and_other_shapes_are_refused()
    {
        string png = TestRasters.WritePlainPng(Path.Combine(_root, "world.png"), 360, 180, (lat, _) => (byte)Math.Round(lat + 90));
        Job done = await IngestAsync("world", png, new Grid { Kind = GridKind.Equiangular, Nlat = 19, Nlon = 36, LonOriginDegrees = -180 });
        Assert.True(done.State == JobState.Succeeded, done.Error?.Message);
        GriddedValues world = await GriddedValues.DownloadAsync(_client, "world");
        for (int i = 1; i < world.NLat - 1; i++)
        {
            for (int p = 0; p < world.NLon; p++)
            {
                Assert.True(Math.Abs(world[0, i, p] - (world.Latitudes[i] + 90)) < 0.6, $"row {i}: {world[0, i, p]} at latitude {world.Latitudes[i]}");
            }
        }

        using (JsonDocument provenance = JsonDocument.Parse(world.Dataset.ProvenanceJson))
        {
            JsonElement source = provenance.RootElement.GetProperty("sources")[0];
            Assert.Equal("global-image", source.GetProperty("kind").GetString());
            string notes = string.Join("\n", source.GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
            Assert.Contains("no georeferencing", notes, StringComparison.Ordinal);
            Assert.Contains("2:1", notes, StringComparison.Ordinal);
            Assert.Contains("EPSG:4326", notes, StringComparison.Ordinal);
        }

        string wrong = TestRasters.WritePlainPng(Path.Combine(_root, "photo.png"), 300, 200, (_, _) => 7);
        DiscoException error = await FailedAsync("photo", wrong, Equiangular5);
        Assert.Contains("no georeferencing and is 300x200", error.Message, StringComparison.Ordinal);
        Assert.Contains("twice as wide as high", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_inputs_fail_with_the_right_status_and_a_message_that_says_what_to_fix()
    {
        string corrupt = Temp.File(_root, "corrupt.tif", 50_000, seed: 7);
        Assert.Contains("'corrupt.tif' cannot be ingested", (await FailedAsync("corrupt", corrupt, Equiangular5)).Message, StringComparison.Ordinal);

        string tif = TestRasters.WriteAnalyticGeoTiff(Path.Combine(_root, "f.tif"), 720, 360);
        string truncated = Path.Combine(_root, "truncated.tif");
        byte[] whole = await File.ReadAllBytesAsync(tif);
        await File.WriteAllBytesAsync(truncated, whole[..(whole.Length * 2 / 5)]);
        // A truncated file has a readable header, so it passes the check at the RPC and fails once its pixels are read:
        // a job that no resume can fix.
        Job cut = await IngestAsync("truncated", truncated, Equiangular5);
        Assert.Equal(JobState.Failed, cut.State);
        Assert.Equal((int)StatusCode.InvalidArgument, cut.Error.Code);
        Assert.False(cut.Resumable);
        Assert.Contains("'truncated.tif' cannot be ingested", cut.Error.Message, StringComparison.Ordinal);

        string empty = Path.Combine(_root, "empty.tif");
        await File.WriteAllBytesAsync(empty, []);
        Assert.Contains("empty", (await FailedAsync("empty", empty, Equiangular5)).Message, StringComparison.Ordinal);

        DiscoException band = await FailedAsync("band", tif, Equiangular5, new BandSpec { SourceBand = 5, Role = BandRole.Input });
        Assert.Contains("bands[0].source_band 5 is out of range", band.Message, StringComparison.Ordinal);
        Assert.Contains("1 f", band.Message, StringComparison.Ordinal);

        DiscoException label = await FailedAsync("label", tif, Equiangular5, new BandSpec { SourceBand = 1, Role = BandRole.Label, Resampling = Resampling.Bilinear });
        Assert.Contains("use mode or nearest", label.Message, StringComparison.Ordinal);

        string featureless = Path.Combine(_root, "nothing.geojson");
        await File.WriteAllTextAsync(featureless, """{"type":"FeatureCollection","features":[]}""");
        Assert.Contains("has no features", (await FailedAsync("nothing", featureless, Equiangular5)).Message, StringComparison.Ordinal);

        string boxes = TestRasters.WriteBoxes(Path.Combine(_root, "boxes.geojson"), (0, 0, 10, 10, 1));
        DiscoException unusedError = await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "unused",
            Grid = Equiangular5,
            ServerPath = new ServerPathSource { Path = tif },
            AdditionalSources = { new RasterSource { ServerPath = boxes } },
            Bands = { new BandSpec { SourceBand = 1, Role = BandRole.Input } },
        }));
        Assert.Equal("additional_sources[0]", Assert.Single(unusedError.FieldViolations).Field);
        Assert.Contains("additional_sources[0] 'boxes.geojson' is not used by any band", unusedError.Message, StringComparison.Ordinal);

        Assert.Contains("vector source holds class ids", (await FailedAsync("blend", boxes, Equiangular5, new BandSpec { SourceBand = 2, Resampling = Resampling.Bilinear })).Message, StringComparison.Ordinal);

        string outside = TestRasters.WriteAnalyticGeoTiff(Path.Combine(_files, "secret.tif"), 36, 18);
        await Expect.StatusAsync(StatusCode.PermissionDenied, () => _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "outside",
            Grid = Equiangular5,
            ServerPath = new ServerPathSource { Path = outside },
        }));

        // A VRT under a root could read files outside the roots: only self-contained formats are opened.
        string vrt = Path.Combine(_root, "window.vrt");
        await File.WriteAllTextAsync(vrt, $"""
            <VRTDataset rasterXSize="36" rasterYSize="18"><SRS>EPSG:4326</SRS><GeoTransform>-180,10,0,90,0,-10</GeoTransform>
              <VRTRasterBand dataType="Float32" band="1"><SimpleSource><SourceFilename relativeToVRT="0">{outside}</SourceFilename><SourceBand>1</SourceBand></SimpleSource></VRTRasterBand>
            </VRTDataset>
            """);
        Assert.Contains("VRTs and service descriptions are refused", (await FailedAsync("window", vrt, Equiangular5)).Message, StringComparison.Ordinal);

        // The CLI reports the refusal with the engine's message and the invalid-request exit code.
        CliResult cli = await CliRunner.RunAsync(_server, "datasets", "ingest", "--name", "corrupt-cli", "--path", corrupt, "--grid", "equiangular:37x72");
        Assert.Equal(ExitCodes.InvalidRequest, cli.ExitCode);
        Assert.Contains("'corrupt.tif' cannot be ingested", cli.Error, StringComparison.Ordinal);

        Assert.Empty(await ToListAsync(_client.ListDatasetsAsync()));
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, await _client.CheckHealthAsync());
    }

    [Fact]
    public async Task An_ingest_request_id_reused_for_a_different_request_is_refused_naming_the_earlier_job()
    {
        string tif = TestRasters.WriteAnalyticGeoTiff(Path.Combine(_root, "reused.tif"), 72, 36);
        string requestId = "ingest-" + Guid.NewGuid().ToString("N");
        Job first = await _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "reused-a", Grid = Equiangular5, ServerPath = new ServerPathSource { Path = tif }, RequestId = requestId });
        DiscoException e = await Expect.StatusAsync(StatusCode.AlreadyExists, () => _client.IngestDatasetAsync(
            new IngestDatasetRequest { Name = "reused-b", Grid = Equiangular5, ServerPath = new ServerPathSource { Path = tif }, RequestId = requestId }));
        Assert.Contains($"request_id '{requestId}' was already used for job {first.Id}", e.Message, StringComparison.Ordinal);
        Assert.Equal(JobState.Succeeded, (await _client.WaitForJobAsync(first.Id)).State);
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.GetDatasetAsync("reused-b"));

        // The same request again, after it finished (a client retrying a call whose answer it lost): the same job,
        // not "a dataset named reused-a already exists" from the dataset that job itself created.
        Job replayed = await _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "reused-a", Grid = Equiangular5, ServerPath = new ServerPathSource { Path = tif }, RequestId = requestId });
        Assert.Equal((first.Id, JobState.Succeeded), (replayed.Id, replayed.State));
    }

    [Fact]
    public async Task A_source_larger_than_the_servers_raster_limit_is_refused_before_it_is_read()
    {
        await using TestServer small = await TestServer.StartAsync([$"--import-root={_root}", "--Limits:MaxRasterPixels=100000"]);
        using DiscoClient client = small.Client();
        string tif = TestRasters.WriteAnalyticGeoTiff(Path.Combine(_root, "f.tif"), 720, 360);
        // Refused at the RPC, where the source is inspected, before a job is queued.
        DiscoException refused = await Expect.StatusAsync(StatusCode.InvalidArgument, () =>
            client.IngestDatasetAsync(new IngestDatasetRequest { Name = "big", Grid = Equiangular5, ServerPath = new ServerPathSource { Path = tif } }));
        Assert.Contains("720x360 = 259,200 pixels, more than the limit of 100,000", refused.Message, StringComparison.Ordinal);
        Assert.Equal("server_path.path", Assert.Single(refused.FieldViolations).Field);
        // The advice names the server's setting, not the raster library's.
        Assert.Contains("raise Limits:MaxRasterPixels", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("RasterLimits", refused.Message, StringComparison.Ordinal);
        await foreach (Job queued in client.ListJobsAsync())
        {
            Assert.Fail($"a job was queued: {queued.Id}");
        }
    }

    [Fact]
    public async Task Cancelling_an_ingest_stops_the_gdal_warp_and_stores_nothing()
    {
        // 40000 x 20000 sparse pixels averaged onto a 0.25° grid take about ten seconds of GDAL work on two cores.
        await using TestServer server = await TestServer.StartAsync([$"--import-root={_root}", "--Limits:MaxRasterPixels=2000000000"]);
        using DiscoClient client = server.Client();
        string big = TestRasters.WriteSparseGeoTiff(Path.Combine(_root, "big.tif"), 40000, 20000);
        Job job = await client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "slow",
            Grid = new Grid { Kind = GridKind.Equiangular, Nlat = 721, Nlon = 1440 },
            ServerPath = new ServerPathSource { Path = big },
        });
        // GDAL's warp reports its progress into the "reading" stage (0.05 to 0.95): once it has moved past the stage's
        // start, the warp is under way, and the cancel must stop it there rather than after it has run to its end.
        double reached = 0;
        await foreach (Job update in client.WatchJobAsync(job.Id))
        {
            Assert.False(DiscoClient.IsFinal(update.State), $"the ingest ended {update.State} before its warp was seen running");
            if (update.Progress?.Stage == "reading" && update.Progress.Fraction > 0.05)
            {
                reached = update.Progress.Fraction;
                break;
            }
        }

        await client.CancelJobAsync(job.Id);
        var seen = new List<Job>();
        await foreach (Job update in client.WatchJobAsync(job.Id))
        {
            seen.Add(update);
        }

        Assert.Equal(JobState.Cancelled, seen[^1].State);
        double furthest = seen.Where(j => j.Progress?.Stage == "reading").Select(j => j.Progress.Fraction).DefaultIfEmpty(reached).Max();
        Assert.True(furthest < 0.9, $"the warp went on to {furthest:F3} of the job after the cancel at {reached:F3}");
        Assert.DoesNotContain(seen, j => j.Progress?.Stage is "assembling" or "done");
        Assert.Empty(await ToListAsync(client.ListDatasetsAsync()));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "tmp")));
    }

    private static double MaxError(GriddedValues values, int band, double maxAbsLatitude)
    {
        double worst = 0;
        for (int i = 0; i < values.NLat; i++)
        {
            if (Math.Abs(values.Latitudes[i]) > maxAbsLatitude + 1e-9)
            {
                continue;
            }

            for (int p = 0; p < values.NLon; p++)
            {
                worst = Math.Max(worst, Math.Abs(values[band, i, p] - AnalyticField.F(values.Latitudes[i], values.Longitudes[p])));
            }
        }

        return worst;
    }

    private async Task<Job> IngestAsync(string name, string path, Grid grid, params BandSpec[] bands)
    {
        Job job = await _client.IngestDatasetAsync(new IngestDatasetRequest { Name = name, Grid = grid, ServerPath = new ServerPathSource { Path = path }, Bands = { bands } });
        return await _client.WaitForJobAsync(job.Id);
    }

    /// <summary>Sources are opened when the request arrives: what they cannot satisfy is refused before a job is queued.</summary>
    private async Task<DiscoException> FailedAsync(string name, string path, Grid grid, params BandSpec[] bands)
    {
        DiscoException refused = await Expect.StatusAsync(StatusCode.InvalidArgument, () =>
            _client.IngestDatasetAsync(new IngestDatasetRequest { Name = name, Grid = grid, ServerPath = new ServerPathSource { Path = path }, Bands = { bands } }));
        Assert.NotEmpty(refused.FieldViolations);
        return refused;
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (T item in items)
        {
            list.Add(item);
        }

        return list;
    }
}

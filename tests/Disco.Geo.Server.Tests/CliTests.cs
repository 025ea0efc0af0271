using System.Text.Json;
using Disco.Geo.Cli;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests;

/// <summary>The `disco` CLI in-process (same entry as its Main) against a real server.</summary>
public sealed class CliTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private string _files = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _files = Temp.Directory("cli");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Temp.Delete(_files);
    }

    [Fact]
    public async Task Health_reports_serving_and_an_unreachable_server_exits_3_with_a_hint()
    {
        Result ok = await RunAsync("health");
        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("SERVING", ok.Output, StringComparison.Ordinal);

        using var refusing = new RefusingPort();
        Result down = await RunAsync("--server", refusing.Address, "--timeout", "2", "health");
        Assert.Equal(ExitCodes.Unreachable, down.ExitCode);
        Assert.Contains("cannot reach the server", down.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Datasets_upload_list_show_and_rm_with_json_and_exit_codes()
    {
        string a = Temp.File(_files, "january.tif", 150_000, seed: 1);
        string b = Temp.File(_files, "march.tif", 150_000, seed: 2);
        Result upload = await RunAsync("datasets", "upload", a, b, "--json");
        Assert.Equal(0, upload.ExitCode);
        using (JsonDocument json = JsonDocument.Parse(upload.Output))
        {
            Assert.Equal(["january", "march"], json.RootElement.EnumerateArray().Select(d => d.GetProperty("name").GetString()));
        }

        Result again = await RunAsync("datasets", "upload", a);
        Assert.Contains("already uploaded", again.Output, StringComparison.Ordinal);

        Result list = await RunAsync("datasets", "list", "--json");
        using (JsonDocument json = JsonDocument.Parse(list.Output))
        {
            Assert.Equal(2, json.RootElement.GetArrayLength());
        }

        Result table = await RunAsync("datasets", "list", "--kind", "raw-file");
        Assert.Contains("january", table.Output, StringComparison.Ordinal);
        Assert.Contains("raw-file", table.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await RunAsync("datasets", "show", "march")).ExitCode);

        string copy = Path.Combine(_files, "copy.tif");
        Assert.Equal(0, (await RunAsync("datasets", "download", "march", copy)).ExitCode);
        Assert.Equal(File.ReadAllBytes(b), File.ReadAllBytes(copy));

        Result missing = await RunAsync("datasets", "show", "april");
        Assert.Equal(ExitCodes.NotFound, missing.ExitCode);
        Assert.Contains("No dataset 'april'", missing.Error, StringComparison.Ordinal);

        Assert.Equal(0, (await RunAsync("datasets", "rm", "january", "march")).ExitCode);
        Assert.Contains("(none)", (await RunAsync("datasets", "list")).Output, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Usage, (await RunAsync("datasets", "upload", a, b, "--name", "x")).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await RunAsync("datasets", "upload", Path.Combine(_files, "nope.tif"))).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await RunAsync("datasets", "frobnicate")).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await RunAsync("datasets", "ingest", "--name", "g", "--from", "x", "--grid", "square:10")).ExitCode);
    }

    [Fact]
    public async Task Failed_ingests_bad_fields_and_unlabelled_training_data_get_their_exit_codes()
    {
        await RunAsync("datasets", "upload", Temp.File(_files, "raw.tif", 70_000, seed: 3));
        await RunAsync("datasets", "upload", Temp.File(_files, "labels.tif", 70_000, seed: 11));
        Result ingest = await RunAsync("datasets", "ingest", "--name", "grid1", "--from", "raw", "--grid", "equiangular:181x360",
            "--extra", "labels", "--band", "1:input:bilinear:red", "--band", "1.1:label:mode:land");
        Assert.Equal(ExitCodes.InvalidRequest, ingest.ExitCode);
        Assert.Contains("cannot be ingested", ingest.Error, StringComparison.Ordinal);

        Result bad = await RunAsync("datasets", "ingest", "--name", "bad name", "--from", "raw", "--grid", "equiangular:1x360");
        Assert.Equal(ExitCodes.InvalidRequest, bad.ExitCode);
        Assert.Contains("name:", bad.Error, StringComparison.Ordinal);
        Assert.Contains("grid.nlat:", bad.Error, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Usage, (await RunAsync("train", "--model-name", "m")).ExitCode);
        string config = Path.Combine(_files, "train.json");
        await File.WriteAllTextAsync(config, """{"modelName":"m","datasets":["missing"],"task":"TRAINING_TASK_SEGMENTATION","hyperParameters":{"epochs":2}}""");
        Assert.Equal(ExitCodes.NotFound, (await RunAsync("train", "--config", config)).ExitCode);
        await GriddedDatasets.StoreAsync(_server, "grid", new Grid { Kind = GridKind.Equiangular, Nlat = 19, Nlon = 36 }, new float[19 * 36]);
        Result train = await RunAsync("train", "--config", config, "--dataset", "grid", "--epochs", "1", "--rotation", "so3");
        Assert.Equal(ExitCodes.Conflict, train.ExitCode);
        Assert.Contains("has no label band", train.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_import_show_list_export_and_rm()
    {
        string package = Packages.Write(_files, "lw.discomodel", baseChannels: 48, seed: 4);
        Result import = await RunAsync("models", "import", package, "--json");
        Assert.Equal(0, import.ExitCode);
        using (JsonDocument json = JsonDocument.Parse(import.Output))
        {
            Assert.Equal("land-water", json.RootElement.GetProperty("name").GetString());
        }

        Assert.Contains("disco-unet", (await RunAsync("models", "list")).Output, StringComparison.Ordinal);
        Assert.Contains("\"miou\"", (await RunAsync("models", "show", "land-water")).Output, StringComparison.Ordinal);
        string exported = Path.Combine(_files, "out.discomodel");
        Assert.Equal(0, (await RunAsync("models", "export", "land-water", exported)).ExitCode);
        Assert.Equal(File.ReadAllBytes(package), File.ReadAllBytes(exported));
        string weights = Path.Combine(_files, "out.safetensors");
        Result exportedWeights = await RunAsync("models", "export", "land-water", weights, "--format", "safetensors");
        Assert.True(exportedWeights.ExitCode == 0, exportedWeights.ToString());
        Assert.Equal((byte)'{', File.ReadAllBytes(weights)[8]);
        Result importedWeights = await RunAsync("models", "import", weights, "--name", "lw-weights");
        Assert.True(importedWeights.ExitCode == 0, importedWeights.ToString());
        Assert.Contains("lw-weights: imported", importedWeights.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, (await RunAsync("models", "export", "land-water", weights, "--format", "onnx")).ExitCode);
        // The command the server's "damaged package" error suggests.
        Result verified = await RunAsync("models", "verify", "land-water");
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Equal(0, (await RunAsync("models", "rm", "land-water")).ExitCode);
        Assert.Equal(ExitCodes.NotFound, (await RunAsync("models", "show", "land-water")).ExitCode);
        Result notPackage = await RunAsync("models", "import", Temp.File(_files, "junk.bin", 1000, seed: 5), "--name", "junk");
        Assert.Equal(ExitCodes.InvalidRequest, notPackage.ExitCode);
    }

    [Fact]
    public async Task Jobs_list_show_watch_cancel_and_resume()
    {
        await RunAsync("datasets", "upload", Temp.File(_files, "v.bin", 200_000, seed: 6));
        Result verify = await RunAsync("datasets", "verify", "v");
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains("succeeded", verify.Output, StringComparison.Ordinal);

        Result list = await RunAsync("jobs", "list", "--kind", "verify", "--json");
        string id;
        using (JsonDocument json = JsonDocument.Parse(list.Output))
        {
            JsonElement job = Assert.Single(json.RootElement.EnumerateArray());
            Assert.Equal("JOB_STATE_SUCCEEDED", job.GetProperty("state").GetString());
            id = job.GetProperty("id").GetString()!;
        }

        Result watch = await RunAsync("jobs", "watch", id, "--json");
        Assert.Equal(0, watch.ExitCode);
        Assert.Contains("JOB_STATE_SUCCEEDED", watch.Output, StringComparison.Ordinal);
        Assert.Contains("succeeded", (await RunAsync("jobs", "show", id)).Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Conflict, (await RunAsync("jobs", "cancel", id)).ExitCode);
        Assert.Equal(ExitCodes.Conflict, (await RunAsync("jobs", "resume", id)).ExitCode);
        Assert.Equal(ExitCodes.InvalidRequest, (await RunAsync("jobs", "watch", "nope")).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await RunAsync("jobs", "list", "--state", "sleeping")).ExitCode);
    }

    [Fact]
    public async Task Predict_expands_globs_and_manifests_writes_maps_and_skips_finished_outputs_on_a_rerun()
    {
        await RunAsync("models", "import", Packages.Write(_files, "m.discomodel", seed: 7));
        string inputs = Path.Combine(_files, "inputs");
        Directory.CreateDirectory(Path.Combine(inputs, "2004"));
        TestRasters.WriteAnalyticGeoTiff(Path.Combine(inputs, "jan.tif"), 72, 36);
        TestRasters.WriteAnalyticGeoTiff(Path.Combine(inputs, "2004", "feb.tif"), 72, 36);
        Temp.File(inputs, "notes.txt", 10, seed: 10);
        string output = Path.Combine(_files, "out");

        Result missingModel = await RunAsync("predict", "--model", "nope", "--out", output, Path.Combine(inputs, "**", "*.tif"));
        Assert.Equal(ExitCodes.NotFound, missingModel.ExitCode);

        Result first = await RunAsync("predict", "--model", "land-water", "--out", output, Path.Combine(inputs, "**", "*.tif"), "-j", "2");
        Assert.True(first.ExitCode == 0, first.Error);
        foreach (string name in new[] { "jan.tif", "feb.tif" })
        {
            using Disco.Geo.Gdal.GdalDataset map = Disco.Geo.Gdal.GdalDataset.Open(Path.Combine(output, name));
            Assert.Equal((36, 19), (map.Width, map.Height)); // one pixel per node of the model's 19x36 grid
            Assert.Equal(["water", "land"], map.GetBand(1).GetCategoryNames().Take(2)); // from the .aux.xml the server sent
        }

        Assert.DoesNotContain(Directory.EnumerateFiles(output), f => f.EndsWith("notes.txt", StringComparison.Ordinal));

        // Finished outputs are skipped without asking the server to predict again.
        DateTime written = File.GetLastWriteTimeUtc(Path.Combine(output, "jan.tif"));
        string manifest = Path.Combine(_files, "batch.txt");
        await File.WriteAllTextAsync(manifest, "# two months\ninputs/jan.tif\ninputs/2004/feb.tif\n");
        Result rerun = await RunAsync("predict", "--model", "land-water", "--out", output, "--manifest", manifest, "--json");
        Assert.Equal(0, rerun.ExitCode);
        using JsonDocument json = JsonDocument.Parse(rerun.Output);
        Assert.All(json.RootElement.EnumerateArray(), r => Assert.Equal("skipped", r.GetProperty("status").GetString()));
        Assert.Equal(2, json.RootElement.GetArrayLength());
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(output, "jan.tif")));

        // A corrupt input is refused with a message, and the good ones are not touched.
        Temp.File(inputs, "broken.tif", 5_000, seed: 12);
        Result broken = await RunAsync("predict", "--model", "land-water", "--out", output, Path.Combine(inputs, "broken.tif"));
        Assert.Equal(ExitCodes.JobUnsuccessful, broken.ExitCode);
        Assert.Contains("failed   ", broken.Output, StringComparison.Ordinal);
        Assert.Contains("broken.tif: ", broken.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, "broken.tif")));

        Assert.Equal(ExitCodes.Usage, (await RunAsync("predict", "--model", "land-water", "--out", output, Path.Combine(inputs, "missing.tif"))).ExitCode);
    }

    private async Task<Result> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string[] withServer = args.Contains("--server") ? args : ["--server", _server.GrpcAddress, .. args];
        int code = await CliApp.RunAsync(withServer, output, error, interactive: false, CancellationToken.None);
        return new Result(code, output.ToString(), error.ToString());
    }

    private sealed record Result(int ExitCode, string Output, string Error);
}

using System.Text.Json;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// The --json shapes documented in docs/cli-json.md, against a real server: every key a command prints is documented
/// (nothing appears unannounced), and the keys a script relies on are there. The key lists mirror the document.
/// </summary>
public sealed class CliJsonShapeTests() : ServerTests("cli-json-shape")
{
    private static readonly string[] DatasetKeys =
        ["id", "name", "kind", "blob", "fileName", "grid", "bands", "provenanceJson", "sourceDatasetId", "labels", "createTime", "description", "timeSteps"];

    private static readonly string[] ModelKeys =
        ["id", "name", "blob", "cardJson", "architecture", "task", "grid", "classes", "metrics", "formatVersion", "jobId", "createTime"];

    private static readonly string[] JobKeys =
    [
        "id", "kind", "state", "priority", "device", "description", "progress", "error", "result", "createTime", "startTime", "endTime", "attempt",
        "resumable", "revision", "requestId", "inputs", "pinnedReplica", "attempts",
    ];

    private static readonly string[] PredictionKeys =
        ["id", "name", "modelId", "inputDescription", "state", "jobId", "grid", "bands", "blob", "summary", "requestId", "createTime", "timeSteps"];

    private static readonly string[] FileKeys = ["fileName", "contentType", "sizeBytes", "sha256", "auxXml", "stacItemJson"];

    [Fact]
    public async Task Each_command_prints_only_documented_keys_and_the_ones_scripts_need()
    {
        Shape(await JsonAsync("health"), ["status"], ["status"]);

        string package = Packages.Write(_files, "lw.discomodel", seed: 4);
        Shape(await JsonAsync("models", "import", package), ModelKeys, ["id", "name", "blob", "grid", "classes"]);
        ShapeOfEach(await JsonAsync("models", "list"), ModelKeys, ["id", "name"]);
        Shape(await JsonAsync("models", "show", "land-water"), ModelKeys, ["id", "cardJson"]);
        Shape(await JsonAsync("models", "export", "land-water", Path.Combine(_files, "copy.discomodel")), FileKeys, ["sizeBytes", "sha256"]);

        string raw = TestRasters.WriteAnalyticGeoTiff(Path.Combine(_files, "jan.tif"), 72, 36);
        ShapeOfEach(await JsonAsync("datasets", "upload", raw), DatasetKeys, ["id", "name", "kind", "blob", "fileName", "createTime"]);
        ShapeOfEach(await JsonAsync("datasets", "list"), DatasetKeys, ["id", "name"]);
        Shape(await JsonAsync("datasets", "show", "jan"), DatasetKeys, ["id", "name", "kind"]);
        Shape(await JsonAsync("datasets", "verify", "jan", "--detach"), JobKeys, ["id", "kind", "state"]);
        ShapeOfEach(await JsonAsync("jobs", "list"), JobKeys, ["id", "kind", "state"]);

        JsonElement batch = await JsonAsync("predict", "--model", "land-water", "--out", Path.Combine(_files, "maps"), raw);
        ShapeOfEach(batch, ["input", "output", "outputs", "status", "predictionId", "metrics", "error"],
            ["input", "output", "outputs", "status", "predictionId", "metrics", "error"]);
        string id = batch[0].GetProperty("predictionId").GetString()!;
        ShapeOfEach(await JsonAsync("predictions", "list"), PredictionKeys, ["id", "modelId", "state", "grid", "bands", "summary"]);
        Shape(await JsonAsync("predictions", "show", id), PredictionKeys, ["id", "modelId", "state", "summary"]);
        Shape(await JsonAsync("predictions", "export", id, Path.Combine(_files, "jan.tif")), FileKeys, ["fileName", "sizeBytes", "sha256"]);
        Shape(await JsonAsync("predictions", "tiles", id, "--http", _server.HttpAddress), ["predictionId", "xyz", "tileJson", "wmts"], ["predictionId", "xyz", "tileJson", "wmts"]);
        ShapeOfEach(await JsonAsync("predictions", "rm", id), ["predictionId", "freedBytes"], ["predictionId"]);

        ShapeOfEach(await JsonAsync("datasets", "rm", "jan"), ["datasetId", "freedBytes"], ["datasetId"]);
        ShapeOfEach(await JsonAsync("models", "rm", "land-water"), ["modelId", "freedBytes"], ["modelId"]);

        string[] sampleKeys = ["key", "path", "companions", "description", "package", "version", "pathInPackage", "sha256", "sizeBytes"];
        ShapeOfEach(await JsonAsync("samples", "list", "--cache-dir", Path.Combine(_files, "samples")), sampleKeys, sampleKeys);
    }

    private static void ShapeOfEach(JsonElement array, string[] documented, string[] required)
    {
        Assert.Equal(JsonValueKind.Array, array.ValueKind);
        Assert.NotEqual(0, array.GetArrayLength());
        foreach (JsonElement item in array.EnumerateArray())
        {
            Shape(item, documented, required);
        }
    }

    private static void Shape(JsonElement value, string[] documented, string[] required)
    {
        Assert.Equal(JsonValueKind.Object, value.ValueKind);
        string[] keys = [.. value.EnumerateObject().Select(p => p.Name)];
        Assert.All(keys, key => Assert.Contains(key, documented));
        Assert.All(required, key => Assert.Contains(key, keys));
    }

    private async Task<JsonElement> JsonAsync(params string[] args)
    {
        CliResult result = await CliRunner.RunAsync(_server, [.. args, "--json"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument document = JsonDocument.Parse(result.Output);
        return document.RootElement.Clone();
    }
}

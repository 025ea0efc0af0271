using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Disco.Geo.Client;
using Disco.Geo.Gdal;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests.Stac;

/// <summary>
/// The STAC Item written beside prediction exports, from a real server: valid against the vendored schemas, its
/// checksums and sizes those of the files on disk, its projection fields those GDAL reads back from the COG.
/// </summary>
public sealed class StacExportTests() : ServerTests("stac-export")
{
    [Fact]
    public async Task Exports_in_three_formats_share_one_valid_item_whose_checksums_and_projection_match_the_files()
    {
        Model model = await _client.ImportModelAsync(Packages.Write(_files, "lw.discomodel", seed: 5));
        await GriddedDatasets.StoreFieldAsync(_server, "field", model.Grid, offset: -10);
        PredictionArray map = await _client.PredictToArrayAsync(new PredictRequest { Model = model.Name, Dataset = "field" });
        string id = map.Prediction.Id;
        string cogPath = Path.Combine(_files, "map.tif"), geoJsonPath = Path.Combine(_files, "map.geojson"), pngPath = Path.Combine(_files, "map.png");
        FileMetadata cogFile = await _client.ExportPredictionAsync(id, ExportFormat.Cog, cogPath);
        Assert.NotEmpty(cogFile.StacItemJson);
        await _client.ExportPredictionAsync(id, ExportFormat.Geojson, geoJsonPath);
        await _client.ExportPredictionAsync(id, ExportFormat.Png, pngPath);

        JsonNode item = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_files, "map.stac.json")))!;
        StacSchemas.AssertValidItem(item);
        Assert.Equal(id, item["id"]!.GetValue<string>());
        Assert.Equal(
            ["https://stac-extensions.github.io/classification/v1.1.0/schema.json", "https://stac-extensions.github.io/file/v2.1.0/schema.json",
             "https://stac-extensions.github.io/projection/v1.1.0/schema.json", "https://stac-extensions.github.io/raster/v1.1.0/schema.json"],
            item["stac_extensions"]!.AsArray().Select(e => e!.GetValue<string>()).Order(StringComparer.Ordinal));

        // Every asset names its file beside the Item, with that file's size and SHA2-256 multihash.
        JsonObject assets = item["assets"]!.AsObject();
        Assert.Equal(["cog", "geojson", "png"], assets.Select(a => a.Key).Order(StringComparer.Ordinal));
        foreach ((string key, string path) in new[] { ("cog", cogPath), ("geojson", geoJsonPath), ("png", pngPath) })
        {
            JsonNode asset = assets[key]!;
            Assert.Equal("./" + Path.GetFileName(path), asset["href"]!.GetValue<string>());
            Assert.Equal(new FileInfo(path).Length, asset["file:size"]!.GetValue<long>());
            Assert.Equal("1220" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path))), asset["file:checksum"]!.GetValue<string>());
        }

        // Projection and raster fields are what GDAL reads from the COG.
        JsonNode cog = assets["cog"]!;
        using (GdalDataset dataset = GdalDataset.Open(cogPath))
        {
            GeoTransform transform = dataset.GetGeoTransform()!.Value;
            using SpatialReference crs = dataset.GetSpatialReference()!;
            Assert.Equal("EPSG:" + cog["proj:epsg"]!.GetValue<int>(), crs.AuthorityId);
            Assert.Equal([dataset.Height, dataset.Width], cog["proj:shape"]!.AsArray().Select(v => v!.GetValue<int>()));
            Assert.Equal(
                [transform.PixelWidth, transform.RowRotation, transform.OriginX, transform.ColumnRotation, transform.PixelHeight, transform.OriginY],
                cog["proj:transform"]!.AsArray().Select(v => v!.GetValue<double>()));
            JsonNode band = cog["raster:bands"]![0]!;
            Assert.Equal(dataset.GetBand(1).DataType == GdalDataType.Byte ? "uint8" : "uint16", band["data_type"]!.GetValue<string>());
            Assert.Equal(dataset.BandCount, cog["raster:bands"]!.AsArray().Count);

            // bbox and geometry: the COG's footprint (node-centred cells reach past the poles) clipped to the globe.
            double north = Math.Min(90, transform.OriginY), south = Math.Max(-90, transform.OriginY + (transform.PixelHeight * dataset.Height));
            Assert.True(transform.PixelWidth * dataset.Width >= 360, "The COG covers every longitude.");
            Assert.Equal([-180.0, south, 180.0, north], item["bbox"]!.AsArray().Select(v => v!.GetValue<double>()));
            Assert.Equal(
                [[-180.0, south], [180.0, south], [180.0, north], [-180.0, north], [-180.0, south]],
                item["geometry"]!["coordinates"]![0]!.AsArray().Select(p => p!.AsArray().Select(v => v!.GetValue<double>()).ToArray()));
        }

        // Classes with their colours, on the Item, the assets and the COG's band; the model and the time.
        JsonNode properties = item["properties"]!;
        foreach (JsonNode? classes in new[] { properties["classification:classes"], cog["classification:classes"], cog["raster:bands"]![0]!["classification:classes"] })
        {
            Assert.Equal(model.Classes.Select(c => (c.Id, c.Name, c.Color.TrimStart('#').ToUpperInvariant())),
                classes!.AsArray().Select(c => (c!["value"]!.GetValue<int>(), c["name"]!.GetValue<string>(), c["color_hint"]!.GetValue<string>())));
        }

        Assert.Equal(model.Id, properties["disco:model_id"]!.GetValue<string>());
        Assert.Equal(model.Name, properties["disco:model_name"]!.GetValue<string>());
        Assert.Equal(JsonNode.Parse(model.CardJson)!.ToJsonString(), properties["disco:model_card"]!.ToJsonString());
        Assert.Equal("prediction", properties["disco:datetime_source"]!.GetValue<string>());
        Assert.Equal(map.Prediction.CreateTime.ToDateTimeOffset(),
            DateTimeOffset.Parse(properties["datetime"]!.GetValue<string>(), CultureInfo.InvariantCulture), TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task Disco_predict_writes_one_item_beside_its_cog_geojson_and_png()
    {
        await _client.ImportModelAsync(Packages.Write(_files, "lw.discomodel", seed: 7));
        string input = TestRasters.WriteAnalyticGeoTiff(Path.Combine(_files, "jan.tif"), 72, 36);
        string output = Path.Combine(_files, "out");
        CliResult result = await CliRunner.RunAsync(_server, "predict", "--model", "land-water", "--format", "cog,geojson,png", "--out", output, input);
        Assert.True(result.ExitCode == 0, result.ToString());

        string itemPath = Assert.Single(Directory.GetFiles(output, "*.stac.json"));
        JsonNode item = JsonNode.Parse(await File.ReadAllTextAsync(itemPath))!;
        StacSchemas.AssertValidItem(item);
        foreach ((string key, JsonNode? asset) in item["assets"]!.AsObject())
        {
            string file = Path.Combine(output, asset!["href"]!.GetValue<string>()[2..]);
            Assert.True(File.Exists(file), $"{key}: {file}");
            Assert.Equal(new FileInfo(file).Length, asset["file:size"]!.GetValue<long>());
        }

        Assert.Equal(["cog", "geojson", "png"], item["assets"]!.AsObject().Select(a => a.Key).Order(StringComparer.Ordinal));
        Assert.StartsWith("raster jan", item["properties"]!["disco:input"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_prediction_exported_to_the_same_name_replaces_the_item_and_an_asset_whose_file_is_gone_is_dropped()
    {
        Model model = await _client.ImportModelAsync(Packages.Write(_files, "lw.discomodel", seed: 5));
        await GriddedDatasets.StoreFieldAsync(_server, "field", model.Grid);
        string first = (await _client.PredictToArrayAsync(new PredictRequest { Model = model.Name, Dataset = "field", Name = "one" })).Prediction.Id;
        string second = (await _client.PredictToArrayAsync(new PredictRequest { Model = model.Name, Dataset = "field", Name = "two" })).Prediction.Id;
        Assert.NotEqual(first, second);
        string itemPath = Path.Combine(_files, "map.stac.json");

        await _client.ExportPredictionAsync(first, ExportFormat.Png, Path.Combine(_files, "map.png"));
        await _client.ExportPredictionAsync(second, ExportFormat.Cog, Path.Combine(_files, "map.tif"));
        JsonNode item = JsonNode.Parse(await File.ReadAllTextAsync(itemPath))!;
        Assert.Equal(second, item["id"]!.GetValue<string>());
        Assert.Equal(["cog"], item["assets"]!.AsObject().Select(a => a.Key));

        await _client.ExportPredictionAsync(second, ExportFormat.Png, Path.Combine(_files, "map.png"));
        File.Delete(Path.Combine(_files, "map.tif"));
        await _client.ExportPredictionAsync(second, ExportFormat.Geojson, Path.Combine(_files, "map.geojson"));
        item = JsonNode.Parse(await File.ReadAllTextAsync(itemPath))!;
        Assert.Equal(["geojson", "png"], item["assets"]!.AsObject().Select(a => a.Key).Order(StringComparer.Ordinal));
        StacSchemas.AssertValidItem(item);
    }

    [Fact]
    public async Task The_vendored_schemas_reject_what_the_specification_forbids()
    {
        Model model = await _client.ImportModelAsync(Packages.Write(_files, "lw.discomodel", seed: 5));
        await GriddedDatasets.StoreFieldAsync(_server, "field", model.Grid);
        string id = (await _client.PredictToArrayAsync(new PredictRequest { Model = model.Name, Dataset = "field" })).Prediction.Id;
        FileMetadata file = await _client.ExportPredictionAsync(id, ExportFormat.Cog, Path.Combine(_files, "map.tif"));
        JsonNode valid = JsonNode.Parse(file.StacItemJson)!;
        StacSchemas.AssertValidItem(valid);

        // Each mutation breaks one rule of one schema: the schemas are not vacuous.
        (string File, Action<JsonNode> Break)[] cases =
        [
            ("item-1.0.0.json", i => i["properties"]!.AsObject().Remove("datetime")),
            ("item-1.0.0.json", i => i["properties"]!["datetime"] = "yesterday"),
            ("item-1.0.0.json", i => i.AsObject().Remove("bbox")),
            ("item-1.0.0.json", i => i["stac_version"] = "0.9.0"),
            ("item-1.0.0.json", i => i["assets"]!["cog"]!.AsObject().Remove("href")),
            ("projection-v1.1.0.json", i => i["assets"]!["cog"]!["proj:shape"] = new JsonArray(1, 2, 3)),
            ("projection-v1.1.0.json", i => i["assets"]!["cog"]!["proj:epsg"] = "4326"),
            ("raster-v1.1.0.json", i => i["assets"]!["cog"]!["raster:bands"]![0]!["data_type"] = "byte"),
            ("raster-v1.1.0.json", i => i["assets"]!["cog"]!["raster:bands"]![0]!["nodata"] = "none"),
            ("classification-v1.1.0.json", i => i["properties"]!["classification:classes"]![0]!["color_hint"] = "#00FF00"),
            ("classification-v1.1.0.json", i => i["properties"]!["classification:classes"]![0]!.AsObject().Remove("description")),
            ("file-v2.1.0.json", i => i["assets"]!["cog"]!["file:checksum"] = "SHA256:abc"),
            ("file-v2.1.0.json", i => i["assets"]!["cog"]!["file:size"] = -1),
            ("file-v2.1.0.json", i => i["stac_extensions"] = new JsonArray()),
        ];
        foreach ((string schema, Action<JsonNode> breakIt) in cases)
        {
            JsonNode broken = valid.DeepClone();
            breakIt(broken);
            Assert.False(StacSchemas.IsValid(broken, schema), $"{schema} accepted {broken.ToJsonString()}");
        }
    }
}

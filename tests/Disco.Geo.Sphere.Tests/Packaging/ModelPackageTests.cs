using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Packaging;
using Disco.Geo.Sphere.Tests.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Packaging;

public sealed class ModelPackageTests : IDisposable
{
    private readonly string _directory = SyntheticSpheres.TemporaryDirectory();

    private static ModelCardInfo Info => new()
    {
        Name = "hemispheres",
        Description = "test model",
        ClassNames = ["south", "north"],
        ClassColors = ["#0000FF", "#00ff00"],
        InputBandNames = ["sin_lat", "wave"],
        Provenance = new Dictionary<string, string> { ["dataset"] = "synthetic", ["months"] = "01,03" },
        Metrics = new Dictionary<string, double> { ["miou"] = 0.97, ["iou_2"] = double.NaN },
    };

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_saved_package_loads_into_a_model_with_identical_outputs_and_card()
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 4);
        model.InputStatistics = new ChannelStatistics([0.25, -0.5], [2.0, 3.0]);
        string path = Path.Combine(_directory, "model.dgm");
        ModelCard written = await ModelPackage.SaveAsync(path, model, Info);
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));

        using LoadedModel loaded = await ModelPackage.LoadAsync(path, "cpu");
        using Tensor x = randn(2, 2, 17, 32);
        model.eval();
        using Tensor expected = model.forward(x);
        using Tensor actual = loaded.Model.forward(x);
        Assert.True(actual.equal(expected).all().item<bool>());
        Assert.False(loaded.Model.training);

        ModelCard card = loaded.Card;
        Assert.Equal(ModelPackage.FormatVersion, card.FormatVersion);
        Assert.Equal(model.Config, card.Config);
        Assert.Equal("disco-unet", card.Architecture);
        Assert.Equal("segmentation", card.Task);
        Assert.Equal([new ClassInfo(0, "south", "#0000ff"), new ClassInfo(1, "north", "#00ff00")], card.Classes);
        Assert.Equal([new BandInfo("sin_lat", 0.25, 2.0), new BandInfo("wave", -0.5, 3.0)], card.InputBands);
        Assert.Equal("01,03", card.Provenance["months"]);
        Assert.Equal(0.97, card.Metrics["miou"]);
        Assert.False(card.Metrics.ContainsKey("iou_2"));
        Assert.Equal(model.ParameterCount, card.ParameterCount);
        Assert.Equal(written.Weights, card.Weights);
        Assert.Contains("torchsharp", card.LibraryVersions.Keys);
        Assert.Contains("libtorch", card.LibraryVersions.Keys);
        Assert.Contains("disco_geo", card.LibraryVersions.Keys);
        Assert.Equal(card, await ModelPackage.ReadCardAsync(path) with { }, new CardComparer());
    }

    [Fact]
    public async Task A_card_kept_as_json_parses_to_the_packages_card_and_a_damaged_one_is_refused()
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 4);
        string path = Path.Combine(_directory, "model.dgm");
        ModelCard written = await ModelPackage.SaveAsync(path, model, Info);
        (int version, string json) = await ModelPackage.ReadCardJsonAsync(path);

        ModelCard parsed = ModelPackage.ParseCardJson(json, version);
        Assert.Equal(written.Config, parsed.Config);
        Assert.Equal(written.Classes, parsed.Classes);
        Assert.Equal(Corrupt, Assert.Throws<ModelPackageException>(() => ModelPackage.ParseCardJson(json, version + 1)).Problem);
        Assert.Equal(Corrupt, Assert.Throws<ModelPackageException>(() => ModelPackage.ParseCardJson("{ not json", version)).Problem);
        Assert.DoesNotContain(_directory, Assert.Throws<ModelPackageException>(() => ModelPackage.ParseCardJson("{}", version)).Message, StringComparison.Ordinal);
    }

    private const ModelPackageProblem Corrupt = ModelPackageProblem.Corrupt;

    [Fact]
    public async Task The_header_is_the_one_the_server_reads_and_the_card_has_its_listing_fields()
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Regression, 1), 1);
        string path = Path.Combine(_directory, "r.dgm");
        await ModelPackage.SaveAsync(path, model, new ModelCardInfo { Name = "elevation", OutputBandNames = ["elevation_m"] });
        byte[] bytes = await File.ReadAllBytesAsync(path);
        Assert.Equal("DISCOMDL", Encoding.ASCII.GetString(bytes, 0, 8));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        JsonObject card = JsonNode.Parse(bytes.AsSpan(16, length))!.AsObject();
        Assert.Equal("elevation", (string?)card["name"]);
        Assert.Equal("disco-unet", (string?)card["architecture"]);
        Assert.Equal("regression", (string?)card["task"]);
        Assert.Equal("equiangular", (string?)card["grid"]!["kind"]);
        Assert.Equal(17, (int)card["grid"]!["nlat"]!);
        Assert.Equal(32, (int)card["grid"]!["nlon"]!);
        Assert.Equal(-180.0, (double)card["grid"]!["lon_origin_degrees"]!);
        Assert.Equal("elevation_m", (string?)card["output_bands"]![0]!["name"]);
        Assert.NotNull(card["metrics"]);
        Assert.NotNull(card["classes"]);
    }

    [Fact]
    public async Task Damaged_files_are_refused_with_the_problem_named()
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 4);
        string path = Path.Combine(_directory, "m.dgm");
        await ModelPackage.SaveAsync(path, model, Info);
        byte[] good = await File.ReadAllBytesAsync(path);

        async Task<ModelPackageException> Load(byte[] bytes)
        {
            string damaged = Path.Combine(_directory, Guid.NewGuid() + ".dgm");
            await File.WriteAllBytesAsync(damaged, bytes);
            return await Assert.ThrowsAsync<ModelPackageException>(() => ModelPackage.LoadAsync(damaged));
        }

        byte[] flipped = (byte[])good.Clone();
        flipped[good.Length - 100] ^= 0x01;
        ModelPackageException corrupt = await Load(flipped);
        Assert.Equal(ModelPackageProblem.Corrupt, corrupt.Problem);
        Assert.Contains("checksum", corrupt.Message, StringComparison.Ordinal);

        ModelPackageException truncated = await Load(good[..(good.Length - 1000)]);
        Assert.Equal(ModelPackageProblem.Truncated, truncated.Problem);
        Assert.Contains("truncated", truncated.Message, StringComparison.Ordinal);
        Assert.Equal(ModelPackageProblem.Truncated, (await Load(good[..12])).Problem);
        Assert.Equal(ModelPackageProblem.Truncated, (await Load(good[..200])).Problem);

        byte[] notOurs = (byte[])good.Clone();
        Encoding.ASCII.GetBytes("PK\u0003\u0004ZIP!", notOurs);
        Assert.Equal(ModelPackageProblem.NotAPackage, (await Load(notOurs)).Problem);

        byte[] future = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(future.AsSpan(8), 7);
        ModelPackageException version = await Load(future);
        Assert.Equal(ModelPackageProblem.UnsupportedVersion, version.Problem);
        Assert.Contains("Upgrade Disco.Geo", version.Message, StringComparison.Ordinal);

        byte[] appended = [.. good, 0];
        Assert.Equal(ModelPackageProblem.Corrupt, (await Load(appended)).Problem);
        await Assert.ThrowsAsync<FileNotFoundException>(() => ModelPackage.LoadAsync(Path.Combine(_directory, "missing.dgm")));
    }

    [Fact]
    public async Task An_intact_package_whose_weights_do_not_fit_its_configuration_is_incompatible()
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 4);
        string path = Path.Combine(_directory, "m.dgm");
        await ModelPackage.SaveAsync(path, model, Info);
        byte[] bytes = await File.ReadAllBytesAsync(path);

        // Rewrite the card to claim wider channels and re-seal the file, as a buggy writer might.
        int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        JsonObject card = JsonNode.Parse(bytes.AsSpan(16, length))!.AsObject();
        card["config"]!["channels"] = new JsonArray(12, 16);
        byte[] cardBytes = Encoding.UTF8.GetBytes(card.ToJsonString());
        byte[] rest = bytes[(16 + length)..^32];
        byte[] file = [.. bytes[..12], .. BitConverter.GetBytes((uint)cardBytes.Length), .. cardBytes, .. rest, .. new byte[32]];
        SHA256.HashData(file.AsSpan(0, file.Length - 32), file.AsSpan(file.Length - 32));
        await File.WriteAllBytesAsync(path, file);

        ModelPackageException e = await Assert.ThrowsAsync<ModelPackageException>(() => ModelPackage.LoadAsync(path));
        Assert.Equal(ModelPackageProblem.Incompatible, e.Problem);
        Assert.Contains("shape", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Card_information_must_fit_the_model()
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 4);
        string path = Path.Combine(_directory, "m.dgm");
        Assert.Contains("class names", (await Assert.ThrowsAsync<ArgumentException>(() => ModelPackage.SaveAsync(path, model, new ModelCardInfo { Name = "x" }))).Message, StringComparison.Ordinal);
        Assert.Contains("name", (await Assert.ThrowsAsync<ArgumentException>(() => ModelPackage.SaveAsync(path, model, Info with { Name = " " }))).Message, StringComparison.Ordinal);
        Assert.Contains("#RRGGBB", (await Assert.ThrowsAsync<ArgumentException>(() => ModelPackage.SaveAsync(path, model, Info with { ClassColors = ["blue", "green"] }))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ModelPackage.SaveAsync(path, model, Info with { InputBandNames = ["one"] }).GetAwaiter().GetResult());
        Assert.False(File.Exists(path));
    }

    private sealed class CardComparer : IEqualityComparer<ModelCard>
    {
        public bool Equals(ModelCard? x, ModelCard? y) =>
            x is not null && y is not null && x.Name == y.Name && x.Config.Equals(y.Config) && x.Weights == y.Weights && x.CreatedUtc == y.CreatedUtc &&
            x.Classes.SequenceEqual(y.Classes) && x.InputBands.SequenceEqual(y.InputBands);

        public int GetHashCode(ModelCard obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }
}

using System.Security.Cryptography;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;

namespace Disco.Geo.Server.Tests;

public sealed class ModelTests() : ServerTests("models")
{

    [Fact]
    public async Task Import_export_round_trip_keeps_the_package_and_reads_the_card()
    {
        string package = Packages.Write(_files, "lw.discomodel", baseChannels: 128, seed: 1);
        Model model = await _client.ImportModelAsync(package);
        Assert.Equal("land-water", model.Name);
        Assert.Equal("disco-unet", model.Architecture);
        Assert.Equal("segmentation", model.Task);
        Assert.Equal(new Grid { Kind = GridKind.Equiangular, Nlat = 19, Nlon = 36 }, model.Grid);
        Assert.Equal(["water", "land"], model.Classes.Select(c => c.Name));
        Assert.Equal("#3c8d2f", model.Classes[1].Color);
        Assert.Equal(0.93, model.Metrics["miou"]);
        Assert.Equal(1, model.FormatVersion);

        string exported = Path.Combine(_files, "copy.discomodel");
        FileMetadata info = await _client.ExportModelAsync("land-water", exported);
        Assert.Equal(File.ReadAllBytes(package), File.ReadAllBytes(exported));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(package))), info.Sha256);
        Assert.False(File.Exists(exported + ".part"));

        // The exported file imports again as the same model (idempotent), and under a new name as a second one.
        Assert.Equal(model.Id, (await _client.ImportModelAsync(exported)).Id);
        Model second = await _client.ImportModelAsync(exported, "land-water-copy");
        Assert.NotEqual(model.Id, second.Id);
        var listed = new List<Model>();
        await foreach (Model m in _client.ListModelsAsync())
        {
            listed.Add(m);
        }

        Assert.Equal(2, listed.Count);
        // Both share one blob: deleting one frees nothing, deleting the other frees the package.
        Assert.Equal(0, (await _client.DeleteModelAsync(model.Id)).FreedBytes);
        Assert.Equal(new FileInfo(package).Length, (await _client.DeleteModelAsync("land-water-copy")).FreedBytes);
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.GetModelAsync("land-water"));
    }

    [Fact]
    public async Task Safetensors_export_imports_back_as_a_model_with_identical_predictions()
    {
        string package = Packages.Write(_files, "lw.discomodel", baseChannels: 16, seed: 6);
        await _client.ImportModelAsync(package);
        string weights = Path.Combine(_files, "lw.safetensors");
        FileMetadata info = await _client.Models.ExportAsync("land-water", weights, ModelFileFormat.Safetensors);
        Assert.Equal("land-water.safetensors", info.FileName);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(weights))), info.Sha256);
        // Deterministic: a second export is byte-identical, which is what lets a broken download resume.
        string again = Path.Combine(_files, "again.safetensors");
        await _client.Models.ExportAsync("land-water", again, ModelFileFormat.Safetensors);
        Assert.Equal(File.ReadAllBytes(weights), File.ReadAllBytes(again));

        // Detected by its first bytes, no format given.
        Model imported = await _client.ImportModelAsync(weights, "lw-from-safetensors");
        Assert.Equal(["water", "land"], imported.Classes.Select(c => c.Name));
        Assert.Equal(0.93, imported.Metrics["miou"]);
        string repackaged = Path.Combine(_files, "repackaged.discomodel");
        await _client.ExportModelAsync("lw-from-safetensors", repackaged);

        using Disco.Geo.Sphere.Packaging.LoadedModel original = await Disco.Geo.Sphere.Packaging.ModelPackage.LoadAsync(package, "cpu");
        using Disco.Geo.Sphere.Packaging.LoadedModel back = await Disco.Geo.Sphere.Packaging.ModelPackage.LoadAsync(repackaged, "cpu");
        using TorchSharp.torch.Tensor x = TorchSharp.torch.randn([1, original.Card.Config.InputChannels, 19, 36], generator: new TorchSharp.torch.Generator(3));
        using TorchSharp.torch.Tensor expected = original.Model.forward(x);
        using TorchSharp.torch.Tensor actual = back.Model.forward(x);
        Assert.True(actual.equal(expected).all().item<bool>());
    }

    [Fact]
    public async Task A_safetensors_file_that_does_not_fit_its_card_is_refused_naming_each_tensor()
    {
        string package = Packages.Write(_files, "lw.discomodel", baseChannels: 16, seed: 7);
        await _client.ImportModelAsync(package);
        string weights = Path.Combine(_files, "lw.safetensors");
        await _client.Models.ExportAsync("land-water", weights, ModelFileFormat.Safetensors);

        // Rename one tensor in the header: the architecture misses it and does not know the new name.
        byte[] bytes = File.ReadAllBytes(weights);
        int headerLength = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = System.Text.Json.Nodes.JsonNode.Parse(bytes.AsSpan(8, headerLength))!.AsObject();
        string renamed = header.Select(kv => kv.Key).First(k => k.EndsWith(".weight", StringComparison.Ordinal));
        System.Text.Json.Nodes.JsonNode entry = header[renamed]!;
        header.Remove(renamed);
        header["not_a_layer.weight"] = entry;
        byte[] text = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        byte[] padded = [.. text, .. Enumerable.Repeat((byte)' ', (8 - (text.Length % 8)) % 8)];
        string bad = Path.Combine(_files, "bad.safetensors");
        File.WriteAllBytes(bad, [.. BitConverter.GetBytes((ulong)padded.Length), .. padded, .. bytes.AsSpan(8 + headerLength)]);

        DiscoException e = await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.Models.ImportAsync(bad, "bad", ModelFileFormat.Safetensors));
        Assert.Equal(["safetensors.tensors." + renamed, "safetensors.tensors.not_a_layer.weight"], e.FieldViolations.Select(v => v.Field).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(_files, e.Message, StringComparison.Ordinal);
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.GetModelAsync("bad"));

        // A package announced as safetensors is refused as one, not read as a package.
        DiscoException wrongFormat = await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.Models.ImportAsync(package, "x", ModelFileFormat.Safetensors));
        Assert.Equal("safetensors.file", Assert.Single(wrongFormat.FieldViolations).Field);
    }

    [Fact]
    public async Task Bad_imports_and_wrong_ids_get_the_right_status()
    {
        string notAPackage = Temp.File(_files, "random.bin", 100_000, seed: 2);
        DiscoException e = await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.ImportModelAsync(notAPackage, "x"));
        Assert.Contains("DISCOMDL", e.Message, StringComparison.Ordinal);

        string truncated = Path.Combine(_files, "truncated.discomodel");
        byte[] whole = File.ReadAllBytes(Packages.Write(_files, "whole.discomodel", seed: 3));
        File.WriteAllBytes(truncated, whole[..(whole.Length / 2)]);
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.ImportModelAsync(truncated, "x"));

        string noName = Packages.Write(_files, "noname.discomodel", seed: 3, name: "not a valid name!");
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.ImportModelAsync(noName));
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.ImportModelAsync(noName, "bad name!"));

        string package = Packages.Write(_files, "ok.discomodel", baseChannels: 16, seed: 4);
        byte[] bytes = File.ReadAllBytes(package);
        using (var call = _client.Stubs.Models.ImportModel(_client.CallOptions(DateTime.UtcNow.AddSeconds(20), default)))
        {
            await call.RequestStream.WriteAsync(new ImportModelRequest { Header = new ImportModelHeader { Name = "m", SizeBytes = bytes.Length, Sha256 = new string('0', 64) } });
            await call.RequestStream.WriteAsync(new ImportModelRequest { Chunk = new FileChunk { Offset = 0, Data = ByteString.CopyFrom(bytes) } });
            await call.RequestStream.CompleteAsync();
            await Expect.RawStatusAsync(StatusCode.DataLoss, () => call.ResponseAsync);
        }

        await Expect.StatusAsync(StatusCode.NotFound, () => _client.GetModelAsync("mdl_01M88H4Z67HD4W5C06392PXC16"));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.DeleteModelAsync("nothing"));
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.GetModelAsync(""));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.ExportModelAsync("nothing", Path.Combine(_files, "x")));
        Assert.False(File.Exists(Path.Combine(_files, "x")));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.VerifyModelAsync("nothing"));

        await using var listing = _client.ListModelsAsync().GetAsyncEnumerator();
        Assert.False(await listing.MoveNextAsync());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_server.DataDirectory, "tmp")));
    }

    [Fact]
    public async Task Verify_rereads_a_model_package_and_checks_its_checksum()
    {
        Model model = await _client.ImportModelAsync(Packages.Write(_files, "v.discomodel", baseChannels: 48, seed: 5));
        Job job = await _client.VerifyModelAsync(model.Name);
        Job final = await _client.WaitForJobAsync(job.Id);
        Assert.Equal(JobState.Succeeded, final.State);
        Assert.Equal(1, final.Result.Verify.BlobsChecked);
        Assert.Equal(model.Blob.SizeBytes, final.Result.Verify.BytesChecked);
    }
}

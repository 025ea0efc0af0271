using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Disco.Geo.Sphere.Convolution;
using Disco.Geo.Sphere.Interop;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Packaging;
using Disco.Geo.Sphere.Tests.Conformance;
using Disco.Geo.Sphere.Tests.Convolution;
using Disco.Geo.Sphere.Tests.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Interop;

/// <summary>Weights as safetensors: round trip through a package, files written by Python, torch-harmonics names, bad files.</summary>
public sealed class SafetensorsWeightsTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string _directory = SyntheticSpheres.TemporaryDirectory();

    private static ModelCardInfo Info => new()
    {
        Name = "hemispheres",
        Description = "test model",
        ClassNames = ["south", "north"],
        ClassColors = ["#0000ff", "#00ff00"],
        InputBandNames = ["sin_lat", "wave"],
        Provenance = new Dictionary<string, string> { ["dataset"] = "synthetic" },
        Metrics = new Dictionary<string, double> { ["miou"] = 0.97 },
    };

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Export_then_import_gives_a_package_with_identical_predictions_and_card()
    {
        string package = await SavePackageAsync("a.discomodel");
        string weights = Path.Combine(_directory, "a.safetensors");
        await SafetensorsWeights.ExportAsync(package, weights);

        (_, string cardJson) = await ModelPackage.ReadCardJsonAsync(package);
        (Dictionary<string, SafeTensor> tensors, Dictionary<string, string> metadata) = ReadFile(weights);
        Assert.Equal(cardJson, metadata[SafetensorsWeights.CardKey]);
        Assert.Equal("pt", metadata["format"]);

        string imported = Path.Combine(_directory, "b.discomodel");
        ModelCard card = await SafetensorsWeights.ImportAsync(weights, imported, "renamed");
        Assert.Equal("renamed", card.Name);

        using LoadedModel original = await ModelPackage.LoadAsync(package, "cpu");
        using LoadedModel back = await ModelPackage.LoadAsync(imported, "cpu");
        Assert.Equal(original.Card.Config, back.Card.Config);
        Assert.Equal(original.Card.Classes, back.Card.Classes);
        Assert.Equal(original.Card.InputBands, back.Card.InputBands);
        Assert.Equal("synthetic", back.Card.Provenance["dataset"]);
        Assert.Equal(0.97, back.Card.Metrics["miou"]);
        using Tensor x = randn(2, 2, 17, 32, generator: new Generator(7));
        using Tensor expected = original.Model.forward(x);
        using Tensor actual = back.Model.forward(x);
        Assert.True(actual.equal(expected).all().item<bool>());
    }

    [Fact]
    public async Task Every_disco_convolution_is_stored_under_torch_harmonics_parameter_names_and_shapes()
    {
        string package = await SavePackageAsync("m.discomodel");
        string weights = Path.Combine(_directory, "m.safetensors");
        await SafetensorsWeights.ExportAsync(package, weights);
        (Dictionary<string, SafeTensor> tensors, _) = ReadFile(weights);

        using LoadedModel loaded = await ModelPackage.LoadAsync(package, "cpu");
        int layers = 0;
        foreach ((string path, nn.Module module) in loaded.Model.named_modules())
        {
            if (module is not DiscoConvLayer conv)
            {
                continue;
            }

            layers++;
            // torch-harmonics' DiscreteContinuousConvS2 (and its transpose): weight [out, in/groups, K], bias [out].
            string[] own = tensors.Keys.Where(k => k.StartsWith(path + ".", StringComparison.Ordinal) && !k[(path.Length + 1)..].Contains('.', StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(conv.BiasParameter is null ? [path + ".weight"] : new[] { path + ".bias", path + ".weight" }, own);
            Assert.Equal([conv.OutChannels, conv.InChannels / conv.Options.Groups, conv.Basis.KernelSize], tensors[path + ".weight"].Shape);
            if (conv.BiasParameter is not null)
            {
                Assert.Equal([(long)conv.OutChannels], tensors[path + ".bias"].Shape);
            }
        }

        Assert.True(layers >= 4, $"the DISCO U-Net has {layers} DISCO convolutions");
    }

    [Fact]
    public void A_file_written_by_python_with_torch_harmonics_names_loads_into_a_DiscoConvS2_and_reproduces_torch_harmonics()
    {
        // Python writes the format by hand with numpy (Debian has no python3-safetensors) using the reference case's
        // deterministic weight and bias rules and torch-harmonics' names; the layer must then give torch-harmonics' output.
        ReferenceCase reference = ReferenceCase.Load("conv_eq16x32_to_8x16_k33_groups2_support");
        long[] shape = reference.Shape("weight");
        string file = Path.Combine(_directory, "th.safetensors");
        string script = $$"""
            import json, struct, sys
            import numpy as np
            cout, cin_g, k = {{shape[0]}}, {{shape[1]}}, {{shape[2]}}
            n = np.arange(cout * cin_g * k)
            weight = (0.1 * ((n % 7) - 3) + 0.05).reshape(cout, cin_g, k).astype('<f8')
            bias = (0.01 * (np.arange(cout) + 1)).astype('<f8')
            arrays = [('bias', bias), ('weight', weight)]
            header, offset = dict(__metadata__=dict(format='pt')), 0
            for name, a in arrays:
                header[name] = dict(dtype='F64', shape=list(a.shape), data_offsets=[offset, offset + a.nbytes])
                offset += a.nbytes
            text = json.dumps(header).encode('utf-8')
            text += b' ' * (-len(text) % 8)
            with open(sys.argv[1], 'wb') as f:
                f.write(struct.pack('<Q', len(text)))
                f.write(text)
                for _, a in arrays:
                    f.write(a.tobytes())
            """;
        RunPython(script, file);

        using DiscoConvLayer layer = LayerConformanceTests.Build(reference);
        layer.to(float64);
        List<(string, string)> violations = [];
        (Dictionary<string, SafeTensor> tensors, _) = SafetensorsFormat.Read(File.ReadAllBytes(file), violations);
        Assert.Empty(violations);
        SafetensorsWeights.LoadInto(layer, tensors, violations);
        Assert.Empty(violations);

        Assert.Equal(reference.Array("weight"), layer.Weight.data<double>().ToArray());
        using Tensor x = tensor(reference.Array("x"), reference.Shape("x"));
        using Tensor expected = tensor(reference.Array("y"), reference.Shape("y"));
        using Tensor y = layer.forward(x);
        double error = (y - expected).abs().max().item<double>() / expected.abs().max().item<double>();
        Assert.True(error <= 1e-12, $"relative error {error:E3}");
    }

    [Fact]
    public async Task Our_export_reads_in_python_with_the_card_in_its_metadata()
    {
        string package = await SavePackageAsync("p.discomodel");
        string weights = Path.Combine(_directory, "p.safetensors");
        await SafetensorsWeights.ExportAsync(package, weights);
        string script = """
            import json, struct, sys
            import numpy as np
            data = open(sys.argv[1], 'rb').read()
            n = struct.unpack('<Q', data[:8])[0]
            header = json.loads(data[8:8 + n])
            card = json.loads(header['__metadata__']['disco_geo_model_card'])
            names = [k for k in header if k != '__metadata__']
            w = [k for k in names if k.endswith('.weight')][0]
            e = header[w]
            a = np.frombuffer(data[8 + n + e['data_offsets'][0]:8 + n + e['data_offsets'][1]], dtype='<f4').reshape(e['shape'])
            print(card['name'], len(names), w, float(a.ravel()[0]))
            """;
        string[] output = RunPython(script, weights).Trim().Split(' ');
        Assert.Equal("hemispheres", output[0]);
        (Dictionary<string, SafeTensor> tensors, _) = ReadFile(weights);
        Assert.Equal(tensors.Count, int.Parse(output[1], System.Globalization.CultureInfo.InvariantCulture));
        float first = BitConverter.ToSingle(tensors[output[2]].Data, 0);
        Assert.Equal(first, float.Parse(output[3], System.Globalization.CultureInfo.InvariantCulture), 6);
    }

    [Fact]
    public async Task A_file_that_does_not_fit_its_card_is_refused_with_one_violation_per_tensor()
    {
        string package = await SavePackageAsync("v.discomodel");
        using LoadedModel loaded = await ModelPackage.LoadAsync(package, "cpu");
        (_, string cardJson) = await ModelPackage.ReadCardJsonAsync(package);
        Dictionary<string, Tensor> state = loaded.Model.state_dict();
        string conv = state.Keys.Order(StringComparer.Ordinal).First(k => k.EndsWith(".weight", StringComparison.Ordinal) && state[k].dim() == 3);
        string dropped = state.Keys.Order(StringComparer.Ordinal).First(k => k.EndsWith(".bias", StringComparison.Ordinal));
        List<(string, SafeTensor)> tensors = [];
        foreach ((string name, Tensor value) in state.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (name == dropped)
            {
                continue;
            }

            long[] shape = name == conv ? [value.shape[0] + 1, value.shape[1], value.shape[2]] : value.shape;
            using Tensor data = zeros(shape, value.dtype);
            tensors.Add((name, new SafeTensor(name == "input_mean" ? "F16" : Code(value.dtype), shape, name == "input_mean" ? new byte[data.numel() * 2] : data.bytes.ToArray())));
        }

        tensors.Add(("extra.weight", new SafeTensor("F32", [1], new byte[4])));
        string file = Path.Combine(_directory, "bad.safetensors");
        File.WriteAllBytes(file, SafetensorsFormat.Write(tensors, new Dictionary<string, string> { [SafetensorsWeights.CardKey] = cardJson }));

        ModelWeightsException e = await Assert.ThrowsAsync<ModelWeightsException>(() => SafetensorsWeights.ImportAsync(file, Path.Combine(_directory, "out.discomodel")));
        string[] fields = e.Violations.Select(v => v.Field).ToArray();
        Assert.Contains("tensors." + conv + ".shape", fields);
        Assert.Contains("tensors." + dropped, fields);
        Assert.Contains("tensors.input_mean.dtype", fields);
        Assert.Contains("tensors.extra.weight", fields);
        Assert.Contains("needs [", e.Violations.Single(v => v.Field == "tensors." + conv + ".shape").Description, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "out.discomodel")));
    }

    [Theory]
    [InlineData("short")]
    [InlineData("huge-header")]
    [InlineData("not-json")]
    [InlineData("no-card")]
    [InlineData("bad-offsets")]
    public async Task A_damaged_file_is_refused_naming_the_field(string defect)
    {
        byte[] bytes = defect switch
        {
            "short" => [1, 2, 3],
            "huge-header" => [.. BitConverter.GetBytes((ulong)1 << 40), .. "{}"u8.ToArray()],
            "not-json" => WithHeader("{not json}   "),
            "no-card" => SafetensorsFormat.Write([("w", new SafeTensor("F32", [1], new byte[4]))], new Dictionary<string, string>()),
            _ => [.. WithHeader("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"""), 0, 0, 0, 0],
        };
        string file = Path.Combine(_directory, defect + ".safetensors");
        await File.WriteAllBytesAsync(file, bytes);
        ModelWeightsException e = await Assert.ThrowsAsync<ModelWeightsException>(() => SafetensorsWeights.ImportAsync(file, Path.Combine(_directory, "out.discomodel")));
        string expected = defect switch
        {
            "short" or "huge-header" => "file",
            "not-json" => "header",
            "no-card" => "__metadata__." + SafetensorsWeights.CardKey,
            _ => "tensors.w.data_offsets",
        };
        Assert.Equal(expected, Assert.Single(e.Violations).Field);
    }

    private static byte[] WithHeader(string json)
    {
        byte[] text = Encoding.UTF8.GetBytes(json);
        byte[] file = new byte[8 + text.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)text.Length);
        text.CopyTo(file, 8);
        return file;
    }

    private static string Code(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float64 => "F64",
        _ => "I64",
    };

    private static (Dictionary<string, SafeTensor> Tensors, Dictionary<string, string> Metadata) ReadFile(string path)
    {
        List<(string, string)> violations = [];
        var result = SafetensorsFormat.Read(File.ReadAllBytes(path), violations);
        Assert.Empty(violations);
        return result;
    }

    private async Task<string> SavePackageAsync(string fileName)
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 4);
        model.InputStatistics = new ChannelStatistics([0.25, -0.5], [2.0, 3.0]);
        string path = Path.Combine(_directory, fileName);
        await ModelPackage.SaveAsync(path, model, Info);
        return path;
    }

    private static string RunPython(string script, string argument)
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: install Debian's python3 and python3-numpy (scripts/test.sh does).");
        ProcessStartInfo start = new(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(argument);
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"python failed ({process.ExitCode}): {stderr.Result}");
        return stdout;
    }
}

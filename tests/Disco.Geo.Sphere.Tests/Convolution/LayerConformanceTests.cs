using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.Convolution;
using Disco.Geo.Sphere.Tests.Conformance;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Convolution;

/// <summary>Stage 5 of the conformance ladder: whole-layer outputs against torch-harmonics, in float64 and float32.</summary>
public class LayerConformanceTests
{
    public static IEnumerable<object[]> CasesAndBackends() =>
        from name in ReferenceCase.Names
        from backend in new[] { nameof(ContractionBackend.CpuKernel), nameof(ContractionBackend.TensorOps) }
        select new object[] { name, backend };

    internal static DiscoConvLayer Build(ReferenceCase reference, ContractionBackend backend = ContractionBackend.Auto)
    {
        DiscoConvOptions options = new()
        {
            KernelShape = reference.KernelShape,
            BasisType = ReferenceLayers.Basis(reference).Type,
            Normalization = ReferenceLayers.Normalization(reference),
            Groups = reference.Int("groups"),
            ThetaCutoff = ReferenceLayers.ThetaCutoff(reference),
        };
        int cin = reference.Int("cin"), cout = reference.Int("cout");
        return reference.Transpose
            ? new DiscoConvTransposeS2("convT", cin, cout, ReferenceLayers.InGrid(reference), ReferenceLayers.OutGrid(reference), options, backend)
            : new DiscoConvS2("conv", cin, cout, ReferenceLayers.InGrid(reference), ReferenceLayers.OutGrid(reference), options, backend);
    }

    internal static void LoadReferenceParameters(DiscoConvLayer layer, ReferenceCase reference)
    {
        using IDisposable noGrad = no_grad();
        layer.Weight.copy_(tensor(reference.Array("weight"), reference.Shape("weight")));
        layer.BiasParameter!.copy_(tensor(reference.Array("bias"), reference.Shape("bias")));
    }

    [Theory]
    [MemberData(nameof(CasesAndBackends))]
    public void Float64_outputs_match_torch_harmonics_to_1e_12(string name, string backend)
    {
        ReferenceCase reference = ReferenceCase.Load(name);
        using DiscoConvLayer layer = Build(reference, Enum.Parse<ContractionBackend>(backend));
        layer.to(float64);
        LoadReferenceParameters(layer, reference);
        using Tensor x = tensor(reference.Array("x"), reference.Shape("x"));
        using Tensor expected = tensor(reference.Array("y"), reference.Shape("y"));
        using Tensor y = layer.forward(x);
        double error = (y - expected).abs().max().item<double>() / expected.abs().max().item<double>();
        Assert.True(error <= 1e-12, $"{name} ({backend}): relative error {error:E3}");
    }

    [Theory]
    [MemberData(nameof(CasesAndBackends))]
    public void Float32_outputs_match_torch_harmonics_to_1e_5(string name, string backend)
    {
        ReferenceCase reference = ReferenceCase.Load(name);
        using DiscoConvLayer layer = Build(reference, Enum.Parse<ContractionBackend>(backend));
        LoadReferenceParameters(layer, reference);
        using Tensor x = tensor(reference.Array("x"), reference.Shape("x")).to(float32);
        using Tensor expected = tensor(reference.Array("y"), reference.Shape("y"));
        using Tensor y = layer.forward(x);
        Assert.Equal(ScalarType.Float32, y.dtype);
        double error = (y.to(float64) - expected).abs().max().item<double>() / expected.abs().max().item<double>();
        Assert.True(error <= 1e-5, $"{name} ({backend}): relative error {error:E3}");
    }

    [Fact]
    public void Parameters_have_torch_harmonics_names_shapes_and_initialisation()
    {
        ReferenceCase reference = ReferenceCase.Load("conv_eq16x32_to_8x16_k33_groups2_support");
        using DiscoConvLayer layer = Build(reference);
        var names = layer.named_parameters().Select(p => p.name).ToArray();
        Assert.Equal(["weight", "bias"], names);
        Assert.Equal([2L, 2L, 4L], layer.Weight.shape);
        Assert.Equal([2L], layer.BiasParameter!.shape);
        Assert.True(layer.BiasParameter.eq(0).all().item<bool>());

        // weight ~ N(0, 1/(groupsize·K)): check the spread on a large layer.
        using DiscoConvS2 big = new("big", 64, 64, ReferenceLayers.InGrid(reference), ReferenceLayers.OutGrid(reference));
        double std = big.Weight.std().item<float>();
        Assert.Equal(1.0 / Math.Sqrt(64 * 4), std, 0.005);
    }
}

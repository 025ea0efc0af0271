using Disco.Geo.Grids;
using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.Convolution;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Psi;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Convolution;

public class LayerBehaviourTests
{
    private static readonly SphereGrid Fine = SphereGrid.Create(GridKind.Equiangular, 17, 32);
    private static readonly SphereGrid Coarse = SphereGrid.Create(GridKind.Equiangular, 9, 16);

    public static IEnumerable<object[]> Bases() =>
    [
        [BasisType.PiecewiseLinear, new[] { 3 }],
        [BasisType.PiecewiseLinear, new[] { 3, 3 }],
        [BasisType.PiecewiseLinear, new[] { 4, 3 }],
        [BasisType.Harmonic, new[] { 2, 3 }],
        [BasisType.Zernike, new[] { 3 }],
    ];

    [Theory]
    [MemberData(nameof(Bases))]
    public void A_rotation_about_the_pole_by_whole_grid_steps_commutes_exactly(BasisType basis, int[] kernelShape)
    {
        DiscoConvOptions options = new() { BasisType = basis, KernelShape = kernelShape };
        using DiscoConvS2 down = new("down", 2, 3, Fine, Coarse, options);
        using DiscoConvTransposeS2 up = new("up", 3, 2, Coarse, Fine, options);
        using Tensor x = randn(2, 2, 17, 32);
        for (int steps = 1; steps < 16; steps += 5)
        {
            // Two fine columns per coarse column.
            using Tensor a = down.forward(roll(x, 2 * steps, -1));
            using Tensor b = roll(down.forward(x), steps, -1);
            Assert.True(a.eq(b).all().item<bool>(), $"{basis}: forward differs after a roll of {steps}");
            using Tensor c = up.forward(roll(b, steps, -1));
            using Tensor d = roll(up.forward(b), 2 * steps, -1);
            Assert.True(c.eq(d).all().item<bool>(), $"{basis}: transpose differs after a roll of {steps}");
        }
    }

    [Fact]
    public void Gradients_flow_to_input_weight_and_bias_and_match_finite_differences()
    {
        using DiscoConvS2 layer = new("g", 2, 2, Fine, Coarse, new DiscoConvOptions { Groups = 2 });
        layer.to(float64);
        using Tensor x = randn([1, 2, 17, 32], dtype: float64, requires_grad: true);
        using Tensor probe = randn([1, 2, 9, 16], dtype: float64);
        Tensor Loss() => (layer.forward(x) * probe).sum();
        Loss().backward();
        double analytic = layer.Weight.grad!.select(0, 1).select(0, 0).select(0, 2).item<double>();
        double h = 1e-6;
        using (no_grad())
        {
            layer.Weight[1, 0, 2] += h;
            double plus = Loss().item<double>();
            layer.Weight[1, 0, 2] -= 2 * h;
            double minus = Loss().item<double>();
            layer.Weight[1, 0, 2] += h;
            Assert.Equal((plus - minus) / (2 * h), analytic, 1e-6);
        }

        Assert.NotNull(x.grad);
        Assert.True(x.grad!.abs().sum().item<double>() > 0);
        Assert.Equal(probe.sum(dim: [0, 2, 3]).data<double>().ToArray(), layer.BiasParameter!.grad!.data<double>().ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Inference_through_the_fused_cpu_kernel_matches_the_training_path(bool downsample)
    {
        // Under no_grad the CPU kernel contracts and mixes in one pass; with gradients the layer contracts, keeps z and
        // mixes with matmul. Both must give the same output.
        using DiscoConvS2 layer = new("f", 5, 6, Fine, downsample ? Coarse : Fine, new DiscoConvOptions { KernelShape = [3, 3] });
        using (no_grad())
        {
            layer.BiasParameter!.copy_(randn(6));
        }

        foreach ((ScalarType dtype, double tolerance) in new[] { (float64, 1e-12), (float32, 1e-5) })
        {
            layer.to(dtype);
            using Tensor x = randn([2, 5, 17, 32], dtype: dtype);
            using Tensor training = layer.forward(x);
            Assert.True(training.requires_grad);
            using Tensor inference = WithoutGradient(() => layer.forward(x));
            Assert.False(inference.requires_grad);
            double error = (inference - training).abs().max().to(float64).item<double>() / training.abs().max().to(float64).item<double>();
            Assert.True(error < tolerance, $"{dtype}: {error}");
        }
    }

    [Fact]
    public void Any_batch_size_works()
    {
        using DiscoConvS2 layer = new("b", 1, 1, Fine, Fine);
        using Tensor x = randn(5, 1, 17, 32);
        using Tensor all = layer.forward(x);
        using Tensor single = layer.forward(x.narrow(0, 3, 1));
        Assert.True((all.narrow(0, 3, 1) - single).abs().max().item<float>() < 1e-6);
    }

    [Fact]
    public void Bad_configurations_are_rejected_with_the_parameter_named()
    {
        ArgumentException grid = Assert.Throws<ArgumentException>(() => new DiscoConvS2("x", 1, 1, Fine, SphereGrid.Create(GridKind.Equiangular, 9, 12)));
        Assert.Contains("multiple", grid.Message, StringComparison.Ordinal);
        Assert.Equal("inGrid", grid.ParamName);
        ArgumentException up = Assert.Throws<ArgumentException>(() => new DiscoConvS2("x", 1, 1, Coarse, Fine));
        Assert.Contains("transposed", up.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DiscoConvTransposeS2("x", 1, 1, Fine, Coarse));
        ArgumentException cutoff = Assert.Throws<ArgumentException>(() => new DiscoConvS2("x", 1, 1, Fine, Fine, new DiscoConvOptions { ThetaCutoff = -0.1 }));
        Assert.Contains("theta_cutoff", cutoff.Message, StringComparison.Ordinal);
        ArgumentException groups = Assert.Throws<ArgumentException>(() => new DiscoConvS2("x", 3, 4, Fine, Fine, new DiscoConvOptions { Groups = 2 }));
        Assert.Contains("groups", groups.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DiscoConvS2("x", 1, 1, Fine, Fine, new DiscoConvOptions { KernelShape = [0] }));
        Assert.Throws<ArgumentException>(() => new DiscoConvS2("x", 0, 1, Fine, Fine));
    }

    [Fact]
    public void Bad_inputs_are_rejected_with_what_to_fix()
    {
        using DiscoConvS2 layer = new("conv", 2, 2, Fine, Coarse);
        Assert.Contains("4-D", Assert.Throws<ArgumentException>(() => layer.forward(randn(2, 17, 32))).Message, StringComparison.Ordinal);
        Assert.Contains("[batch, 2, 17, 32]", Assert.Throws<ArgumentException>(() => layer.forward(randn(1, 3, 17, 32))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => layer.forward(randn(1, 2, 16, 32)));
        Assert.Contains("float32 or float64", Assert.Throws<ArgumentException>(() => layer.forward(zeros([1, 2, 17, 32], dtype: int32))).Message, StringComparison.Ordinal);
        Assert.Contains("module.to(dtype)", Assert.Throws<ArgumentException>(() => layer.forward(randn([1, 2, 17, 32], dtype: float64))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Layers_with_the_same_configuration_share_one_psi()
    {
        using DiscoConvS2 a = new("a", 4, 4, Fine, Coarse);
        using DiscoConvS2 b = new("b", 8, 2, Fine, Coarse);
        Assert.Equal(a.PsiEntries, b.PsiEntries);
        Assert.Equal(ThetaCutoff.Default(a.Basis, Fine, Coarse), a.ThetaCutoffRadians);
    }

    private static Tensor WithoutGradient(Func<Tensor> compute)
    {
        using IDisposable noGrad = no_grad();
        return compute();
    }
}

using Disco.Geo.Grids;
using Disco.Geo.Sphere.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Models;

/// <summary>
/// The group norm's own forward and hand-written backward (<see cref="SphereGroupNormFunction"/>: the CPU passes of
/// <see cref="SphereGroupNormKernel"/> on CPU tensors) against autograd through the composed tensor ops: the same
/// outputs and the same gradients for x, weight and bias, to rounding, in float64 and float32, with row lengths that
/// fill the vector registers and ones that leave a scalar tail.
/// </summary>
public sealed class SphereGroupNormGradientTests
{
    [Theory]
    [InlineData(FeatureNormalization.RootMeanSquare, true, ScalarType.Float64, 32)]
    [InlineData(FeatureNormalization.MeanAndVariance, true, ScalarType.Float64, 32)]
    [InlineData(FeatureNormalization.RootMeanSquare, false, ScalarType.Float64, 32)]
    [InlineData(FeatureNormalization.MeanAndVariance, false, ScalarType.Float64, 32)]
    [InlineData(FeatureNormalization.RootMeanSquare, true, ScalarType.Float64, 37)]
    [InlineData(FeatureNormalization.MeanAndVariance, true, ScalarType.Float32, 37)]
    [InlineData(FeatureNormalization.RootMeanSquare, true, ScalarType.Float32, 64)]
    public void Fused_backward_matches_autograd_through_the_composed_ops(FeatureNormalization kind, bool areaWeighted, ScalarType dtype, int columns)
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 17, columns);
        using Generator generator = new Generator(7);
        using SphereGroupNorm norm = new("n", 6, 3, grid, kind, areaWeighted);
        norm.to(dtype);
        using (no_grad())
        {
            foreach (TorchSharp.Modules.Parameter p in norm.parameters())
            {
                p.copy_(randn(p.shape, dtype, generator: generator) + 1);
            }
        }

        using Tensor input = (randn([2, 6, 17, columns], dtype, generator: generator) * 3 + 0.5);
        using Tensor upstream = randn([2, 6, 17, columns], dtype, generator: generator);
        double tolerance = dtype == ScalarType.Float64 ? 1e-12 : 2e-5;

        (Tensor Output, Tensor[] Gradients) fused = Run(norm, input, upstream, norm.forward);
        (Tensor Output, Tensor[] Gradients) composed = Run(norm, input, upstream, norm.ForwardComposed);
        AssertAgree(fused, composed, tolerance, $"{kind}, area weighted {areaWeighted}, {dtype}");
    }

    [Theory]
    [InlineData(FeatureNormalization.RootMeanSquare, ScalarType.Float32, 64)]
    [InlineData(FeatureNormalization.MeanAndVariance, ScalarType.Float32, 37)]
    [InlineData(FeatureNormalization.RootMeanSquare, ScalarType.Float64, 37)]
    public void Norm_then_gelu_matches_autograd_through_gelu_of_the_composed_norm(FeatureNormalization kind, ScalarType dtype, int columns)
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 17, columns);
        using Generator generator = new Generator(11);
        using SphereGroupNorm norm = new("n", 6, 3, grid, kind, areaWeighted: true);
        norm.to(dtype);
        using (no_grad())
        {
            foreach (TorchSharp.Modules.Parameter p in norm.parameters())
            {
                // Scales up to ±4 put pre-activations deep into both tails of GELU, where its derivative changes most.
                p.copy_(randn(p.shape, dtype, generator: generator) * 2);
            }
        }

        using Tensor input = randn([2, 6, 17, columns], dtype, generator: generator) * 3 + 0.5;
        using Tensor upstream = randn([2, 6, 17, columns], dtype, generator: generator);

        (Tensor Output, Tensor[] Gradients) fused = Run(norm, input, upstream, norm.ForwardGelu);
        (Tensor Output, Tensor[] Gradients) composed = Run(norm, input, upstream, x => nn.functional.gelu(norm.ForwardComposed(x)));
        using (no_grad())
        {
            using Tensor inference = norm.ForwardGelu(input);
            Assert.True(inference.equal(fused.Output).all().item<bool>(), "inference and training must run the same forward");
        }

        // float32: GELU's error function from Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7) against libtorch's.
        double tolerance = dtype == ScalarType.Float64 ? 1e-12 : 2e-5;
        AssertAgree(fused, composed, tolerance, $"{kind}, {dtype}");
    }

    [Fact]
    public void Fused_norm_only_records_a_node_when_something_needs_a_gradient()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 17, 32);
        using SphereGroupNorm norm = new("n", 4, 2, grid, FeatureNormalization.RootMeanSquare, areaWeighted: true);
        using Tensor x = randn(1, 4, 17, 32);
        using (no_grad())
        {
            using Tensor inference = norm.forward(x);
            Assert.False(inference.requires_grad);
        }

        using Tensor training = norm.forward(x);
        Assert.True(training.requires_grad, "the weight and bias still need gradients when x does not");
        using Tensor reference = norm.ForwardComposed(x);
        Assert.True((training.detach() - reference.detach()).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void An_input_on_another_grid_is_refused_with_the_shape_it_expected()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 17, 32);
        using SphereGroupNorm norm = new("n", 4, 2, grid, FeatureNormalization.RootMeanSquare, areaWeighted: true);
        using Tensor wrongRows = randn(1, 4, 9, 16);
        ArgumentException e = Assert.Throws<ArgumentException>(() => norm.ForwardGelu(wrongRows));
        Assert.Contains("expected [batch, 4, 17, nlon], got [1, 4, 9, 16]", e.Message, StringComparison.Ordinal);
        using (no_grad())
        {
            Assert.Throws<ArgumentException>(() => norm.forward(wrongRows));
        }
    }

    [Fact]
    public void The_kernels_exponential_is_within_float_rounding_of_exp_down_to_the_clamp()
    {
        // Every float step of the reduction matters: sample densely near 0 (where GELU's argument mostly is) and across
        // the whole range down to the clamp at −87, including the points where n changes (multiples of ln 2 / 2).
        List<float> arguments = [0f, -0f, -1e-30f, -87f, -86.99f, -100f, float.NegativeInfinity];
        for (int i = 0; i <= 200_000; i++)
        {
            arguments.Add(-87f * i / 200_000);
        }

        for (int n = 0; n <= 250; n++)
        {
            arguments.Add((float)(-n * Math.Log(2) / 2));
        }

        double worst = 0;
        for (int start = 0; start < arguments.Count; start += 8)
        {
            float[] chunk = new float[8];
            for (int j = 0; j < 8; j++)
            {
                chunk[j] = arguments[Math.Min(start + j, arguments.Count - 1)];
            }

            System.Runtime.Intrinsics.Vector256<float> e = SphereGroupNormKernel.ExpNonPositive(System.Runtime.Intrinsics.Vector256.Create(chunk));
            for (int j = 0; j < 8; j++)
            {
                double expected = Math.Exp(Math.Max(chunk[j], -87f));
                worst = Math.Max(worst, Math.Abs(e[j] - expected) / expected);
            }
        }

        Assert.True(worst < 2e-7, $"worst relative error {worst}");
    }

    // y = forward(x) and the gradients of Σ y·upstream for x, weight and bias.
    private static (Tensor Output, Tensor[] Gradients) Run(SphereGroupNorm norm, Tensor input, Tensor upstream, Func<Tensor, Tensor> forward)
    {
        foreach (TorchSharp.Modules.Parameter p in norm.parameters())
        {
            p.grad = null;
        }

        Tensor x = input.detach().requires_grad_(true);
        Tensor y = forward(x);
        (y * upstream).sum().backward();
        return (y.detach(), [x.grad!.detach().clone(), .. norm.parameters().Select(p => p.grad!.detach().clone())]);
    }

    private static void AssertAgree((Tensor Output, Tensor[] Gradients) actual, (Tensor Output, Tensor[] Gradients) expected, double tolerance, string label)
    {
        static double MaxAbs(Tensor t) => t.abs().max().to(ScalarType.Float64).item<double>();
        double outputError = MaxAbs(actual.Output - expected.Output);
        Assert.True(outputError <= tolerance * MaxAbs(expected.Output), $"{label}: output differs by {outputError}");
        string[] names = ["x", "weight", "bias"];
        for (int i = 0; i < 3; i++)
        {
            double scale = MaxAbs(expected.Gradients[i]);
            double error = MaxAbs(actual.Gradients[i] - expected.Gradients[i]);
            Assert.True(error <= tolerance * scale, $"{label}: gradient of {names[i]} differs by {error} (scale {scale})");
        }
    }
}

using Disco.Geo.Sphere.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Models;

/// <summary>The 1×1 convolution (CPU kernels, or a matrix product elsewhere) against libtorch's Conv2d with the same weights: outputs and gradients.</summary>
public sealed class PointwiseConvTests
{
    [Fact]
    public void Matches_conv2d_in_outputs_gradients_and_state_dict_names()
    {
        using Generator generator = new Generator(3);
        using PointwiseConv pointwise = new("p", 6, 4);
        using TorchSharp.Modules.Conv2d conv = nn.Conv2d(6, 4, 1);
        pointwise.to(ScalarType.Float64);
        conv.to(ScalarType.Float64);
        Assert.Equal(conv.state_dict().Keys.Order(), pointwise.state_dict().Keys.Order());
        using (no_grad())
        {
            foreach ((TorchSharp.Modules.Parameter a, TorchSharp.Modules.Parameter b) in pointwise.parameters().Zip(conv.parameters()))
            {
                Assert.Equal(b.shape, a.shape);
                a.copy_(b);
            }
        }

        using Tensor input = randn([2, 6, 5, 7], ScalarType.Float64, generator: generator);
        using Tensor upstream = randn([2, 4, 5, 7], ScalarType.Float64, generator: generator);
        (Tensor Y, Tensor[] Grads) Run(nn.Module<Tensor, Tensor> module)
        {
            Tensor x = input.detach().requires_grad_(true);
            Tensor y = module.forward(x);
            (y * upstream).sum().backward();
            return (y.detach(), [x.grad!, .. module.parameters().Select(p => p.grad!)]);
        }

        (Tensor y1, Tensor[] g1) = Run(pointwise);
        (Tensor y2, Tensor[] g2) = Run(conv);
        Assert.True((y1 - y2).abs().max().item<double>() < 1e-12);
        for (int i = 0; i < 3; i++)
        {
            Assert.True((g1[i] - g2[i]).abs().max().item<double>() < 1e-12 * Math.Max(1, g2[i].abs().max().item<double>()), $"gradient {i}");
        }
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1, 13, 5, 3, 7, 1e-12)]
    [InlineData(ScalarType.Float32, 2, 32, 16, 41, 90, 2e-5)]
    [InlineData(ScalarType.Float64, 2, 7, 11, 37, 45, 1e-12)]
    [InlineData(ScalarType.Float32, 1, 3, 1, 1, 5, 2e-5)]
    public void Cpu_kernels_match_conv2d_across_blocks_tails_and_dtypes(ScalarType dtype, int batch, int inChannels, int outChannels, int height, int width, double tolerance)
    {
        // 41 × 90 = 3,690 grid points: three column blocks of the product (the last partial) and a weight-gradient tail
        // that is not a multiple of 16; the input is a non-contiguous slice, as a skip merge may see.
        using DisposeScope scope = NewDisposeScope();
        using Generator generator = new Generator(11);
        using PointwiseConv pointwise = new("p", inChannels, outChannels);
        using TorchSharp.Modules.Conv2d conv = nn.Conv2d(inChannels, outChannels, 1);
        pointwise.to(dtype);
        conv.to(dtype);
        using (no_grad())
        {
            foreach ((TorchSharp.Modules.Parameter a, TorchSharp.Modules.Parameter b) in pointwise.parameters().Zip(conv.parameters()))
            {
                a.copy_(b);
            }
        }

        Tensor wide = randn([batch, inChannels + 2, height, width], dtype, generator: generator);
        Tensor upstream = randn([batch, outChannels, height, width], dtype, generator: generator);
        (Tensor Y, Tensor[] Grads) Run(nn.Module<Tensor, Tensor> module)
        {
            Tensor leaf = wide.detach().requires_grad_(true);
            Tensor y = module.forward(leaf.narrow(1, 1, inChannels));
            (y * upstream).sum().backward();
            return (y.detach(), [leaf.grad!, .. module.parameters().Select(p => p.grad!)]);
        }

        (Tensor y1, Tensor[] g1) = Run(pointwise);
        (Tensor y2, Tensor[] g2) = Run(conv);
        Assert.True(Relative(y1, y2) < tolerance, $"output {Relative(y1, y2)}");
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Relative(g1[i], g2[i]) < tolerance, $"gradient {i}: {Relative(g1[i], g2[i])}");
        }
    }

    [Fact]
    public void Second_derivatives_match_conv2d()
    {
        using DisposeScope scope = NewDisposeScope();
        using Generator generator = new Generator(5);
        using PointwiseConv pointwise = new("p", 4, 3);
        using TorchSharp.Modules.Conv2d conv = nn.Conv2d(4, 3, 1);
        pointwise.to(ScalarType.Float64);
        conv.to(ScalarType.Float64);
        using (no_grad())
        {
            foreach ((TorchSharp.Modules.Parameter a, TorchSharp.Modules.Parameter b) in pointwise.parameters().Zip(conv.parameters()))
            {
                a.copy_(b);
            }
        }

        Tensor x0 = randn([2, 4, 6, 9], ScalarType.Float64, generator: generator);
        Tensor probe = randn([2, 3, 6, 9], ScalarType.Float64, generator: generator);
        Tensor probeX = randn([2, 4, 6, 9], ScalarType.Float64, generator: generator);
        Tensor SecondDerivative(nn.Module<Tensor, Tensor> module)
        {
            Tensor x = x0.detach().requires_grad_(true);
            Tensor dx = autograd.grad([(module.forward(x).tanh() * probe).sum()], [x], retain_graph: true, create_graph: true)[0];
            return autograd.grad([(dx * probeX).sum()], [module.parameters().First()])[0];
        }

        Assert.True(Relative(SecondDerivative(pointwise), SecondDerivative(conv)) < 1e-12);
    }

    private static double Relative(Tensor actual, Tensor expected) =>
        (actual - expected).abs().max().to(ScalarType.Float64).item<double>() / Math.Max(1e-300, expected.abs().max().to(ScalarType.Float64).item<double>());
}

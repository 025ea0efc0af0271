using Disco.Geo.Sphere.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Models;

/// <summary>The matrix-product 1×1 convolution against libtorch's Conv2d with the same weights: outputs and gradients.</summary>
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
}

using Disco.Geo.Grids;
using Disco.Geo.Sphere.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Models;

/// <summary>
/// The group norm's hand-written backward (<see cref="SphereGroupNormFunction"/>) against autograd through the
/// composed forward it replaces, in float64: same outputs, and the same gradients for x, weight and bias.
/// </summary>
public sealed class SphereGroupNormGradientTests
{
    [Theory]
    [InlineData(FeatureNormalization.RootMeanSquare, true)]
    [InlineData(FeatureNormalization.MeanAndVariance, true)]
    [InlineData(FeatureNormalization.RootMeanSquare, false)]
    [InlineData(FeatureNormalization.MeanAndVariance, false)]
    public void Fused_backward_matches_autograd_through_the_composed_ops(FeatureNormalization kind, bool areaWeighted)
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 17, 32);
        using Generator generator = new Generator(7);
        using SphereGroupNorm norm = new("n", 6, 3, grid, kind, areaWeighted);
        norm.to(ScalarType.Float64);
        using (no_grad())
        {
            foreach (TorchSharp.Modules.Parameter p in norm.parameters())
            {
                p.copy_(randn(p.shape, ScalarType.Float64, generator: generator) + 1);
            }
        }

        using Tensor input = (randn([2, 6, 17, 32], ScalarType.Float64, generator: generator) * 3 + 0.5);
        using Tensor upstream = randn([2, 6, 17, 32], ScalarType.Float64, generator: generator);

        (Tensor y, Tensor[] grads) Run(Func<Tensor, Tensor> forward)
        {
            foreach (TorchSharp.Modules.Parameter p in norm.parameters())
            {
                p.grad = null;
            }

            Tensor x = input.detach().requires_grad_(true);
            Tensor y = forward(x);
            (y * upstream).sum().backward();
            Tensor[] grads = [x.grad!.detach().clone(), .. norm.parameters().Select(p => p.grad!.detach().clone())];
            return (y.detach(), grads);
        }

        (Tensor fusedY, Tensor[] fused) = Run(norm.forward);
        (Tensor composedY, Tensor[] composed) = Run(norm.ForwardComposed);
        Assert.True(fusedY.equal(composedY).all().item<bool>(), "the forward must be the same ops, bit for bit");
        string[] names = ["x", "weight", "bias"];
        for (int i = 0; i < 3; i++)
        {
            double scale = composed[i].abs().max().item<double>();
            double error = (fused[i] - composed[i]).abs().max().item<double>();
            Assert.True(error <= 1e-12 * scale, $"{kind}, area weighted {areaWeighted}: gradient of {names[i]} differs by {error} (scale {scale})");
        }
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
        Assert.True(training.detach().equal(reference.detach()).all().item<bool>());
    }
}

using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.Psi;
using TorchSharp;
using static Disco.Geo.Sphere.Tests.Contraction.ContractionTestData;

namespace Disco.Geo.Sphere.Tests.Contraction;

public class ContractionGradientTests
{
    [Theory]
    [InlineData("CpuKernel", 1)]
    [InlineData("CpuKernel", 2)]
    [InlineData("TensorOps", 1)]
    [InlineData("TensorOps", 2)]
    [InlineData("TensorOpsThroughOps", 1)]
    [InlineData("TensorOpsThroughOps", 2)]
    [InlineData("TensorOpsChunkedThroughOps", 2)]
    public void Contract_gradient_matches_finite_differences(string backend, int lonStride)
    {
        Random random = new(100 + lonStride);
        PsiTensor psi = RandomPsi(random, kernelSize: 2, nlatOut: 3, nlonOut: 5, nlatIn: 4, nlonIn: 5 * lonStride);
        using IDiscoContraction contraction = Create(psi, backend);
        long[] shape = InputShape(psi, batch: 1, channels: 2);
        double[] x = RandomArray(random, shape.Aggregate(1L, (a, b) => a * b));
        double error = GradientCheck.VectorJacobianError(contraction.Contract, x, shape, random);
        Assert.True(error < 1e-7, $"relative error {error:E2}");
    }

    [Theory]
    [InlineData("CpuKernel", 1)]
    [InlineData("CpuKernel", 3)]
    [InlineData("TensorOps", 1)]
    [InlineData("TensorOps", 3)]
    [InlineData("TensorOpsThroughOps", 1)]
    [InlineData("TensorOpsThroughOps", 3)]
    [InlineData("TensorOpsChunkedThroughOps", 3)]
    public void ContractAdjoint_gradient_matches_finite_differences(string backend, int lonStride)
    {
        Random random = new(200 + lonStride);
        PsiTensor psi = RandomPsi(random, kernelSize: 2, nlatOut: 3, nlonOut: 4, nlatIn: 4, nlonIn: 4 * lonStride);
        using IDiscoContraction contraction = Create(psi, backend);
        long[] shape = OutputShape(psi, batch: 1, channels: 2);
        double[] z = RandomArray(random, shape.Aggregate(1L, (a, b) => a * b));
        double error = GradientCheck.VectorJacobianError(contraction.ContractAdjoint, z, shape, random);
        Assert.True(error < 1e-7, $"relative error {error:E2}");
    }

    [Theory]
    [InlineData("CpuKernel")]
    [InlineData("TensorOps")]
    public void Second_derivatives_flow_through_the_adjoint_backward(string backend)
    {
        // The backward of each direction is the other direction's autograd function, so a gradient of a gradient
        // flows: for L = ½‖C x‖², ∂L/∂x = Cᵀ C x, and its gradient along v is Cᵀ C v, checked against the backward.
        Random random = new(300);
        PsiTensor psi = RandomPsi(random, kernelSize: 2, nlatOut: 3, nlonOut: 6, nlatIn: 4, nlonIn: 12);
        using IDiscoContraction contraction = Create(psi, backend);
        using DisposeScope scope = torch.NewDisposeScope();
        long[] shape = InputShape(psi, 1, 2);
        torch.Tensor x = Tensor(RandomArray(random, 2 * 4 * 12), shape).requires_grad_(true);
        torch.Tensor v = Tensor(RandomArray(random, 2 * 4 * 12), shape);
        torch.Tensor loss = contraction.Contract(x).square().sum() / 2;
        torch.Tensor gradient = torch.autograd.grad([loss], [x], null, true, true, false)[0];
        torch.Tensor second = torch.autograd.grad([(gradient * v).sum()], [x], null, false, false, false)[0];
        double[] expected = DenseAdjoint(psi, DenseContract(psi, Values(v), 2), 2);
        Assert.True(RelativeError(Values(second), expected) < 1e-12);
    }
}

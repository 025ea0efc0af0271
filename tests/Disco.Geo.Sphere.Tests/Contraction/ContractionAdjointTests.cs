using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.Psi;
using TorchSharp;
using static Disco.Geo.Sphere.Tests.Contraction.ContractionTestData;

namespace Disco.Geo.Sphere.Tests.Contraction;

public class ContractionAdjointTests
{
    [Theory]
    [InlineData("CpuKernel", 1, 1)]
    [InlineData("CpuKernel", 2, 4)]
    [InlineData("CpuKernel", 3, 2)]
    [InlineData("TensorOps", 1, 1)]
    [InlineData("TensorOps", 2, 4)]
    [InlineData("TensorOps", 3, 2)]
    [InlineData("TensorOpsChunked", 2, 4)]
    public void Contract_and_ContractAdjoint_are_adjoint(string backend, int lonStride, int kernelSize)
    {
        Random random = new((lonStride * 10) + kernelSize);
        PsiTensor psi = RandomPsi(random, kernelSize, nlatOut: 5, nlonOut: 20, nlatIn: 7, nlonIn: 20 * lonStride);
        using IDiscoContraction contraction = Create(psi, backend);
        using DisposeScope scope = torch.NewDisposeScope();
        double[] x = RandomArray(random, 2 * 3 * psi.NLatIn * psi.NLonIn);
        double[] z = RandomArray(random, 2 * 3 * psi.RowCount * psi.NLonOut);
        double[] contracted = Values(contraction.Contract(Tensor(x, InputShape(psi, 2, 3))));
        double[] adjoint = Values(contraction.ContractAdjoint(Tensor(z, OutputShape(psi, 2, 3))));

        double left = Dot(contracted, z), right = Dot(x, adjoint);
        double scale = Norm(contracted) * Norm(z);
        Assert.True(Math.Abs(left - right) <= 1e-12 * scale, $"<Cx, z> = {left:R}, <x, C*z> = {right:R}");
    }
}

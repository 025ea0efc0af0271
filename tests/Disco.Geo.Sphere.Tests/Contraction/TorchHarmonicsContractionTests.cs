using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.Psi;
using Disco.Geo.Sphere.Tests.Conformance;
using TorchSharp;
using static Disco.Geo.Sphere.Tests.Contraction.ContractionTestData;

namespace Disco.Geo.Sphere.Tests.Contraction;

/// <summary>The contraction on torch-harmonics' own psi against its stored `contraction` intermediate (and transposed output).</summary>
public class TorchHarmonicsContractionTests
{
    public static IEnumerable<object[]> ForwardCases() =>
        ReferenceCase.Names.Where(name => !ReferenceCase.Load(name).Transpose).Select(name => new object[] { name });

    [Theory]
    [MemberData(nameof(ForwardCases))]
    public void Contract_matches_torch_harmonics(string name)
    {
        ReferenceCase reference = ReferenceCase.Load(name);
        long[] contractionShape = reference.Shape("contraction");
        PsiTensor psi = PsiFromReference(reference, (int)contractionShape[2], reference.OutShape, reference.InShape);
        double[] expected = reference.Array("contraction");
        foreach (string backend in new[] { "CpuKernel", "TensorOps" })
        {
            using IDiscoContraction contraction = DiscoContraction.Create(psi, Enum.Parse<ContractionBackend>(backend));
            using DisposeScope scope = torch.NewDisposeScope();
            torch.Tensor x = Tensor(reference.Array("x"), reference.Shape("x"));
            torch.Tensor z64 = contraction.Contract(x);
            Assert.Equal(contractionShape, z64.shape);
            double error64 = RelativeError(Values(z64), expected);
            Assert.True(error64 < 1e-12, $"{backend} float64: relative error {error64:E2}");
            double error32 = RelativeError(Values(contraction.Contract(x.to(torch.ScalarType.Float32))), expected);
            Assert.True(error32 < 1e-5, $"{backend} float32: relative error {error32:E2}");
        }
    }

    [Fact]
    public void ContractAdjoint_reproduces_the_transposed_convolution()
    {
        // torch-harmonics' transposed convolution is: weights first, then the adjoint contraction with the psi of the
        // fine → coarse forward convolution (shapes swapped), then the bias.
        ReferenceCase reference = ReferenceCase.Load("convT_eq8x16_to_16x32_k3_nodal");
        long[] weightShape = reference.Shape("weight");
        int kernelSize = (int)weightShape[2];
        PsiTensor psi = PsiFromReference(reference, kernelSize, reference.InShape, reference.OutShape);
        foreach (string backend in new[] { "CpuKernel", "TensorOps" })
        {
            using IDiscoContraction contraction = DiscoContraction.Create(psi, Enum.Parse<ContractionBackend>(backend));
            using DisposeScope scope = torch.NewDisposeScope();
            torch.Tensor x = Tensor(reference.Array("x"), reference.Shape("x"));
            torch.Tensor weight = Tensor(reference.Array("weight"), weightShape);
            torch.Tensor bias = Tensor(reference.Array("bias"), reference.Shape("bias"));
            torch.Tensor mixed = torch.einsum("ock,bctq->boktq", weight, x);
            torch.Tensor y = contraction.ContractAdjoint(mixed) + bias.view(1, -1, 1, 1);
            double error = RelativeError(Values(y), reference.Array("y"));
            Assert.True(error < 1e-12, $"{backend}: relative error {error:E2}");
        }
    }

    /// <summary>CSR psi from the reference COO (k, t, i·Wi + p) entries, explicit zeros kept.</summary>
    internal static PsiTensor PsiFromReference(ReferenceCase reference, int kernelSize, (int Nlat, int Nlon) output, (int Nlat, int Nlon) input)
    {
        double[] index = reference.Array("psi_idx");
        double[] values = reference.Array("psi_vals");
        int count = values.Length;
        Assert.Equal(3L * count, index.Length);
        int[] order = Enumerable.Range(0, count)
            .OrderBy(n => ((long)index[n] * output.Nlat) + (long)index[count + n])
            .ThenBy(n => (long)index[(2 * count) + n])
            .ToArray();
        int[] offsets = new int[(kernelSize * output.Nlat) + 1];
        int[] columns = new int[count];
        double[] sorted = new double[count];
        for (int at = 0; at < count; at++)
        {
            int n = order[at];
            offsets[((int)index[n] * output.Nlat) + (int)index[count + n] + 1]++;
            columns[at] = (int)index[(2 * count) + n];
            sorted[at] = values[n];
        }

        for (int row = 0; row < kernelSize * output.Nlat; row++)
        {
            offsets[row + 1] += offsets[row];
        }

        return new PsiTensor(kernelSize, output.Nlat, output.Nlon, input.Nlat, input.Nlon, offsets, columns, sorted);
    }
}

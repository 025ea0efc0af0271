using Disco.Geo.Grids;
using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Psi;
using TorchSharp;
using static Disco.Geo.Sphere.Tests.Contraction.ContractionTestData;

namespace Disco.Geo.Sphere.Tests.Contraction;

public class ContractionReferenceTests
{
    public static IEnumerable<object[]> Patterns()
    {
        foreach (int k in new[] { 1, 2, 4 })
        {
            foreach (int s in new[] { 1, 2, 3 })
            {
                foreach (int batch in new[] { 1, 2 })
                {
                    foreach (int channels in new[] { 1, 3 })
                    {
                        yield return [k, s, batch, channels];
                    }
                }
            }
        }
    }

    public static IEnumerable<object[]> Widths()
    {
        // 1 … 150 output longitudes run every register-block path (8, 4 and 1 vectors, overlapping tails, and rows
        // narrower than one vector) for float and double; 4·cores + 1 channels also runs the per-channel parallel mode.
        foreach (int nlonOut in new[] { 1, 3, 8, 13, 37, 64, 100, 150 })
        {
            foreach (int s in new[] { 1, 2 })
            {
                yield return [nlonOut, s, 2];
            }
        }

        yield return [37, 3, (4 * Environment.ProcessorCount) + 1];
        yield return [100, 1, (4 * Environment.ProcessorCount) + 1];
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Both_backends_match_the_dense_reference(int kernelSize, int lonStride, int batch, int channels)
    {
        Random random = new((kernelSize * 1000) + (lonStride * 100) + (batch * 10) + channels);
        PsiTensor psi = RandomPsi(random, kernelSize, nlatOut: 4, nlonOut: 6, nlatIn: 5, nlonIn: 6 * lonStride);
        CheckAgainstDenseReference(psi, batch, channels, random);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Every_longitude_width_matches_the_dense_reference(int nlonOut, int lonStride, int channels)
    {
        Random random = new((nlonOut * 10) + lonStride);
        PsiTensor psi = RandomPsi(random, kernelSize: 2, nlatOut: 3, nlonOut: nlonOut, nlatIn: 4, nlonIn: nlonOut * lonStride);
        CheckAgainstDenseReference(psi, batch: 1, channels, random);
    }

    [Fact]
    public void Non_contiguous_inputs_give_the_same_result()
    {
        Random random = new(7);
        PsiTensor psi = RandomPsi(random, 2, 3, 8, 4, 16);
        using DisposeScope scope = torch.NewDisposeScope();
        torch.Tensor x = Tensor(RandomArray(random, 2 * 3 * 4 * 16), [2, 3, 4, 16]);
        torch.Tensor xStrided = x.permute(0, 1, 3, 2).contiguous().permute(0, 1, 3, 2);
        torch.Tensor z = Tensor(RandomArray(random, 2 * 3 * 2 * 3 * 8), [3, 2, 2, 3, 8]).transpose(0, 1);
        Assert.False(xStrided.is_contiguous());
        Assert.False(z.is_contiguous());
        foreach (ContractionBackend backend in new[] { ContractionBackend.CpuKernel, ContractionBackend.TensorOps })
        {
            using IDiscoContraction contraction = DiscoContraction.Create(psi, backend);
            Assert.True(RelativeError(Values(contraction.Contract(xStrided)), Values(contraction.Contract(x))) < 1e-15);
            Assert.True(RelativeError(Values(contraction.ContractAdjoint(z)), Values(contraction.ContractAdjoint(z.contiguous()))) < 1e-15);
        }
    }

    [Fact]
    public void Auto_uses_the_cpu_kernel_for_cpu_tensors()
    {
        Random random = new(11);
        PsiTensor psi = RandomPsi(random, 2, 3, 8, 4, 16);
        using DisposeScope scope = torch.NewDisposeScope();
        torch.Tensor x = Tensor(RandomArray(random, 3 * 4 * 16), [1, 3, 4, 16], torch.ScalarType.Float32);
        using IDiscoContraction auto = DiscoContraction.Create(psi);
        using IDiscoContraction cpu = DiscoContraction.Create(psi, ContractionBackend.CpuKernel);
        Assert.Equal(ContractionBackend.Auto, auto.Backend);
        Assert.Equal(Values(cpu.Contract(x)), Values(auto.Contract(x)));
    }

    [Theory]
    [InlineData(33, 64, 17, 32, 0.3)]
    [InlineData(33, 64, 33, 64, 0.25)]
    [InlineData(17, 32, 17, 32, 1.2)]
    public void The_per_channel_adjoint_matches_the_dense_reference_on_real_psi(int nlatIn, int nlonIn, int nlatOut, int nlonOut, double cutoff)
    {
        // The per-channel mode (4·cores + 1 channels) on real psi: bands that move with the latitude, polar rows that
        // read many, with and without downsampling, and a cutoff wide enough that one row's band spans most of the grid.
        SphereGrid inGrid = SphereGrid.Create(GridKind.Equiangular, nlatIn, nlonIn);
        SphereGrid outGrid = SphereGrid.Create(GridKind.Equiangular, nlatOut, nlonOut);
        PsiTensor psi = PsiBuilder.Build(new PsiSpec(
            outGrid, inGrid, FilterBasis.Create(BasisType.PiecewiseLinear, 3, 3), cutoff, BasisNormalization.Nodal, Transpose: false));
        CheckAgainstDenseReference(psi, batch: 1, (4 * Environment.ProcessorCount) + 1, new Random(nlatIn + nlatOut));
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 5)]
    [InlineData(1, 8)]
    public void The_per_channel_adjoint_matches_the_dense_reference_on_scattered_psi(int lonStride, int seed)
    {
        // Scattered entries: input latitudes whose bands jump up and down, empty rows and whole rings, per channel.
        Random random = new(seed);
        PsiTensor psi = RandomPsi(random, kernelSize: 3, nlatOut: 9, nlonOut: 20, nlatIn: 12, nlonIn: 20 * lonStride);
        CheckAgainstDenseReference(psi, batch: 1, (4 * Environment.ProcessorCount) + 1, random);
    }

    private static void CheckAgainstDenseReference(PsiTensor psi, int batch, int channels, Random random)
    {
        int bc = batch * channels;
        double[] x = RandomArray(random, (long)bc * psi.NLatIn * psi.NLonIn);
        double[] z = RandomArray(random, (long)bc * psi.RowCount * psi.NLonOut);
        double[] expectedZ = DenseContract(psi, x, bc);
        double[] expectedX = DenseAdjoint(psi, z, bc);
        Dictionary<string, (double[] Z, double[] X)> single = [];
        foreach (string backend in new[] { "CpuKernel", "TensorOps", "TensorOpsThroughOps", "TensorOpsChunked" })
        {
            using IDiscoContraction contraction = Create(psi, backend);
            using DisposeScope scope = torch.NewDisposeScope();
            torch.Tensor x64 = Tensor(x, InputShape(psi, batch, channels));
            torch.Tensor z64 = Tensor(z, OutputShape(psi, batch, channels));
            torch.Tensor forward64 = contraction.Contract(x64);
            torch.Tensor adjoint64 = contraction.ContractAdjoint(z64);
            Assert.Equal(OutputShape(psi, batch, channels), forward64.shape);
            Assert.Equal(InputShape(psi, batch, channels), adjoint64.shape);
            Assert.Equal(torch.ScalarType.Float64, forward64.dtype);
            AssertClose(Values(forward64), expectedZ, 1e-12, $"{backend} forward float64");
            AssertClose(Values(adjoint64), expectedX, 1e-12, $"{backend} adjoint float64");

            torch.Tensor forward32 = contraction.Contract(x64.to(torch.ScalarType.Float32));
            torch.Tensor adjoint32 = contraction.ContractAdjoint(z64.to(torch.ScalarType.Float32));
            Assert.Equal(torch.ScalarType.Float32, forward32.dtype);
            Assert.Equal(torch.ScalarType.Float32, adjoint32.dtype);
            single[backend] = (Values(forward32), Values(adjoint32));
            AssertClose(single[backend].Z, expectedZ, 1e-5, $"{backend} forward float32");
            AssertClose(single[backend].X, expectedX, 1e-5, $"{backend} adjoint float32");
        }

        AssertClose(single["CpuKernel"].Z, single["TensorOps"].Z, 1e-5, "backends agree, forward float32");
        AssertClose(single["CpuKernel"].X, single["TensorOps"].X, 1e-5, "backends agree, adjoint float32");
    }

    private static void AssertClose(double[] actual, double[] expected, double tolerance, string what)
    {
        double error = RelativeError(actual, expected);
        Assert.True(error <= tolerance, $"{what}: relative error {error:E2} > {tolerance:E0}");
    }
}

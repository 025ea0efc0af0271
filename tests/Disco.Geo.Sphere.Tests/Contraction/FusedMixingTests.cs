using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.Psi;
using TorchSharp;
using static Disco.Geo.Sphere.Tests.Contraction.ContractionTestData;

namespace Disco.Geo.Sphere.Tests.Contraction;

/// <summary>The CPU kernel's fused contraction + channel mixing against the dense reference, on both vector widths.</summary>
public unsafe class FusedMixingTests
{
    public static IEnumerable<object[]> Cases()
    {
        // Widths and output channel counts run every block of the mixing kernel (4 × 3 vectors, 1 × 3, single vectors
        // and the partial last vector); block sizes of one row, a few rows and the whole grid run the band logic.
        foreach ((int k, int s, int batch, int cin, int cout, int nlonOut) in new[]
        {
            (1, 1, 1, 1, 1, 1), (2, 2, 2, 3, 4, 5), (4, 1, 1, 2, 7, 37), (3, 3, 1, 3, 9, 16),
            (4, 2, 2, 5, 13, 50), (2, 1, 1, 4, 5, 100),
        })
        {
            foreach (int blockBytes in new[] { 1, 4096, 1 << 20 })
            {
                foreach (bool allow512 in new[] { true, false })
                {
                    yield return [k, s, batch, cin, cout, nlonOut, blockBytes, allow512];
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_forward_matches_contraction_then_mixing(
        int kernelSize, int lonStride, int batch, int inChannels, int outChannels, int nlonOut, int blockBytes, bool allowVector512)
    {
        Random random = new((kernelSize * 100_000) + (lonStride * 10_000) + (outChannels * 100) + nlonOut);
        PsiTensor psi = RandomPsi(random, kernelSize, nlatOut: 5, nlonOut: nlonOut, nlatIn: 7, nlonIn: nlonOut * lonStride);
        double[] x = RandomArray(random, (long)batch * inChannels * psi.NLatIn * psi.NLonIn);
        double[] w = RandomArray(random, (long)outChannels * inChannels * kernelSize);
        double[] expected = DenseMix(DenseContract(psi, x, batch * inChannels), w, psi, batch, inChannels, outChannels);

        using DisposeScope scope = torch.NewDisposeScope();
        foreach ((torch.ScalarType dtype, double tolerance, bool fusedBlocks) in new[]
        {
            (torch.ScalarType.Float64, 1e-12, true), (torch.ScalarType.Float32, 1e-5, true), (torch.ScalarType.Float64, 1e-12, false), (torch.ScalarType.Float32, 1e-5, false),
        })
        {
            CpuDiscoContraction contraction = new(psi, allowVector512) { FusedBlockBytes = blockBytes, UseFusedBlocks = fusedBlocks };
            torch.Tensor y = contraction.TryContractAndMix(
                Tensor(x, InputShape(psi, batch, inChannels), dtype), Tensor(w, [outChannels, inChannels, kernelSize], dtype))!;
            Assert.Equal([batch, outChannels, psi.NLatOut, psi.NLonOut], y.shape);
            Assert.True(RelativeError(Values(y), expected) < tolerance, $"{dtype}: {RelativeError(Values(y), expected)}");
        }
    }

    [Theory]
    [InlineData(1, 1, true, 4)]
    [InlineData(2, 2, true, 4)]
    [InlineData(2, 2, false, 4)]
    [InlineData(1, 3, false, 4)]
    [InlineData(1, 1, true, 11)]
    [InlineData(2, 1, false, 11)]
    public void Fused_gradients_match_the_unfused_layer(int batch, int lonStride, bool allowVector512, int inChannels)
    {
        // 5 × 250 = 1,250 output nodes: two column blocks of the weight gradient, the second ending in a partial vector.
        // 11 input channels × K = 3 make 33 rows of z: eleven full 4 × 3 tiles of the weight gradient's a·zᵀ per row group.
        Random random = new((batch * 10) + lonStride);
        PsiTensor psi = RandomPsi(random, kernelSize: 3, nlatOut: 5, nlonOut: 250, nlatIn: 6, nlonIn: 250 * lonStride);
        using DisposeScope scope = torch.NewDisposeScope();
        foreach ((torch.ScalarType dtype, double tolerance, bool fusedBlocks) in new[]
        {
            (torch.ScalarType.Float64, 1e-12, true), (torch.ScalarType.Float32, 2e-5, true), (torch.ScalarType.Float64, 1e-12, false), (torch.ScalarType.Float32, 2e-5, false),
        })
        {
            CpuDiscoContraction contraction = new(psi, allowVector512) { FusedBlockBytes = 4096, UseFusedBlocks = fusedBlocks };
            torch.Tensor x = Tensor(RandomArray(random, (long)batch * inChannels * psi.NLatIn * psi.NLonIn), InputShape(psi, batch, inChannels), dtype);
            torch.Tensor w = Tensor(RandomArray(random, 6L * inChannels * 3), [6, inChannels, 3], dtype);
            torch.Tensor probe = Tensor(RandomArray(random, batch * 6L * 5 * 250), [batch, 6, 5, 250], dtype);

            torch.Tensor xf = x.detach().requires_grad_(true), wf = w.detach().requires_grad_(true);
            (contraction.TryContractAndMixDifferentiable(xf, wf)! * probe).sum().backward();
            torch.Tensor xu = x.detach().requires_grad_(true), wu = w.detach().requires_grad_(true);
            (torch.einsum("ock,bcktq->botq", wu, contraction.Contract(xu)) * probe).sum().backward();

            Assert.True(RelativeError(Values(xf.grad!), Values(xu.grad!)) < tolerance, $"{dtype} dx");
            Assert.True(RelativeError(Values(wf.grad!), Values(wu.grad!)) < tolerance, $"{dtype} dw");
        }
    }

    [Fact]
    public void A_second_backward_through_the_same_graph_recomputes_the_released_contraction()
    {
        // The first backward returns the kept z to the workspace; a retained graph's second backward must recompute it,
        // not read memory that another call may have taken meanwhile.
        Random random = new(31);
        PsiTensor psi = RandomPsi(random, kernelSize: 3, nlatOut: 5, nlonOut: 40, nlatIn: 6, nlonIn: 80);
        CpuDiscoContraction contraction = new(psi);
        using DisposeScope scope = torch.NewDisposeScope();
        torch.Tensor x = Tensor(RandomArray(random, 4L * 6 * 80), [1, 4, 6, 80]).requires_grad_(true);
        torch.Tensor w = Tensor(RandomArray(random, 5L * 4 * 3), [5, 4, 3]).requires_grad_(true);
        torch.Tensor probe = Tensor(RandomArray(random, 5L * 5 * 40), [1, 5, 5, 40]);
        torch.Tensor loss = (contraction.TryContractAndMixDifferentiable(x, w)! * probe).sum();

        loss.backward(retain_graph: true);
        double[] firstX = Values(x.grad!), firstW = Values(w.grad!);
        x.grad!.zero_();
        w.grad!.zero_();

        // Something else rents (and scribbles over) workspace memory between the two backwards.
        using (KernelWorkspace.Lease other = KernelWorkspace.Rent<double>(4L * 3 * 5 * 40))
        {
            new Span<double>(other.Pointer<double>(), 4 * 3 * 5 * 40).Fill(1e30);
        }

        loss.backward();
        Assert.True(RelativeError(Values(x.grad!), firstX) < 1e-12);
        Assert.True(RelativeError(Values(w.grad!), firstW) < 1e-12);
    }

    [Fact]
    public void Second_derivatives_through_the_fused_layer_match_the_unfused_layer()
    {
        // create_graph turns grad mode on inside the backward, which then composes differentiable operations.
        Random random = new(21);
        PsiTensor psi = RandomPsi(random, kernelSize: 2, nlatOut: 4, nlonOut: 12, nlatIn: 5, nlonIn: 24);
        CpuDiscoContraction contraction = new(psi);
        using DisposeScope scope = torch.NewDisposeScope();
        torch.Tensor x = Tensor(RandomArray(random, 3L * 5 * 24), [1, 3, 5, 24]);
        torch.Tensor w0 = Tensor(RandomArray(random, 2L * 3 * 2), [2, 3, 2]);
        torch.Tensor probe = Tensor(RandomArray(random, 2L * 4 * 12), [1, 2, 4, 12]);
        torch.Tensor probeX = Tensor(RandomArray(random, 3L * 5 * 24), [1, 3, 5, 24]);
        double[] SecondDerivative(Func<torch.Tensor, torch.Tensor, torch.Tensor> layer)
        {
            torch.Tensor xi = x.detach().requires_grad_(true), w = w0.detach().requires_grad_(true);
            torch.Tensor dx = torch.autograd.grad([(layer(xi, w) * probe).sum()], [xi], create_graph: true)[0];
            return Values(torch.autograd.grad([(dx * probeX).sum()], [w])[0]);
        }

        double[] fused = SecondDerivative((xi, w) => contraction.TryContractAndMixDifferentiable(xi, w)!);
        double[] unfused = SecondDerivative((xi, w) => torch.einsum("ock,bcktq->botq", w, contraction.Contract(xi)));
        Assert.True(Norm(unfused) > 0);
        Assert.True(RelativeError(fused, unfused) < 1e-12);
    }

    [Fact]
    public void Vector512_and_Vector256_paths_agree_on_a_real_psi_sized_case()
    {
        // 64 channels and a 2:1 downsampling, like the benchmark rows: the two widths sum in different orders only
        // within a vector, so they agree to rounding.
        Random random = new(11);
        PsiTensor psi = RandomPsi(random, kernelSize: 4, nlatOut: 9, nlonOut: 72, nlatIn: 17, nlonIn: 144);
        using DisposeScope scope = torch.NewDisposeScope();
        torch.Tensor x = Tensor(RandomArray(random, 64L * 17 * 144), [1, 64, 17, 144], torch.ScalarType.Float32);
        torch.Tensor w = Tensor(RandomArray(random, 64L * 64 * 4), [64, 64, 4], torch.ScalarType.Float32);
        double[] wide = Values(new CpuDiscoContraction(psi, allowVector512: true).TryContractAndMix(x, w)!);
        double[] narrow = Values(new CpuDiscoContraction(psi, allowVector512: false).TryContractAndMix(x, w)!);
        double[] unfused = Values(torch.einsum("ock,bcktq->botq", w, new CpuDiscoContraction(psi).Contract(x)));
        Assert.True(RelativeError(wide, narrow) < 1e-5);
        Assert.True(RelativeError(wide, unfused) < 1e-5);
    }

    [Fact]
    public void Contraction_alone_agrees_on_both_vector_widths()
    {
        Random random = new(12);
        PsiTensor psi = RandomPsi(random, kernelSize: 3, nlatOut: 6, nlonOut: 150, nlatIn: 7, nlonIn: 300);
        double[] x = RandomArray(random, 2L * 3 * 7 * 300);
        double[] z = RandomArray(random, 2L * 3 * 3 * 6 * 150);
        double[] expected = DenseContract(psi, x, 6);
        double[] expectedAdjoint = DenseAdjoint(psi, z, 6);
        using DisposeScope scope = torch.NewDisposeScope();
        foreach (bool allow512 in new[] { true, false })
        {
            CpuDiscoContraction contraction = new(psi, allow512);
            Assert.True(RelativeError(Values(contraction.Contract(Tensor(x, InputShape(psi, 2, 3)))), expected) < 1e-12);
            Assert.True(RelativeError(Values(contraction.ContractAdjoint(Tensor(z, OutputShape(psi, 2, 3)))), expectedAdjoint) < 1e-12);
        }
    }

    [Fact]
    public void A_weight_of_the_wrong_shape_is_rejected()
    {
        Random random = new(13);
        PsiTensor psi = RandomPsi(random, kernelSize: 2, nlatOut: 3, nlonOut: 8, nlatIn: 4, nlonIn: 8);
        using DisposeScope scope = torch.NewDisposeScope();
        torch.Tensor x = Tensor(RandomArray(random, 3L * 4 * 8), [1, 3, 4, 8]);
        CpuDiscoContraction contraction = new(psi);
        Assert.Throws<ArgumentException>(() => contraction.TryContractAndMix(x, torch.zeros([2, 3, 3], dtype: torch.ScalarType.Float64)));
        Assert.Throws<ArgumentException>(() => contraction.TryContractAndMix(x, torch.zeros([2, 3, 2], dtype: torch.ScalarType.Float32)));
    }

    /// <summary>y[b,o,t,q] = Σ_{c,k} w[o,c,k] · z[b,c,k,t,q] in plain double loops.</summary>
    private static double[] DenseMix(double[] z, double[] w, PsiTensor psi, int batch, int inChannels, int outChannels)
    {
        int kernelSize = psi.KernelSize;
        long plane = (long)psi.NLatOut * psi.NLonOut;
        double[] y = new double[batch * outChannels * plane];
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < outChannels; o++)
            {
                for (int c = 0; c < inChannels; c++)
                {
                    for (int k = 0; k < kernelSize; k++)
                    {
                        double weight = w[(((o * inChannels) + c) * kernelSize) + k];
                        long from = ((((long)b * inChannels) + c) * kernelSize + k) * plane;
                        long to = (((long)b * outChannels) + o) * plane;
                        for (long n = 0; n < plane; n++)
                        {
                            y[to + n] += weight * z[from + n];
                        }
                    }
                }
            }
        }

        return y;
    }
}

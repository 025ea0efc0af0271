using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.Psi;
using TorchSharp;
using static Disco.Geo.Sphere.Tests.Contraction.ContractionTestData;

namespace Disco.Geo.Sphere.Tests.Contraction;

/// <summary>
/// The CPU kernels' scratch memory is reused from call to call: a fresh block per call meant first-touch page faults
/// that made whole processes 2–10× slower at random.
/// </summary>
[Collection(KernelWorkspaceCollection.Name)]
public unsafe class KernelWorkspaceTests
{
    [Fact]
    public void Repeated_fused_forwards_and_backwards_reuse_their_blocks()
    {
        using DisposeScope scope = torch.NewDisposeScope();
        (CpuDiscoContraction contraction, torch.Tensor x, torch.Tensor w) = FreshWorkspaceAndLayer(seed: 41, outChannels: 3);
        void Step()
        {
            using DisposeScope step = torch.NewDisposeScope();
            torch.Tensor xi = x.detach().requires_grad_(true), wi = w.detach().requires_grad_(true);
            contraction.TryContractAndMixDifferentiable(xi, wi)!.sum().backward();
            _ = contraction.TryContractAndMix(x, w);
        }

        for (int n = 0; n < 3; n++)
        {
            Step();
        }

        // Each step rents several blocks (kept z, dz, per-core sources and blocks); allocating per call would add dozens
        // over ten steps. The order in which the cores rent can still call for one more block now and then.
        long blocks = KernelWorkspace.BlocksAllocated;
        for (int n = 0; n < 10; n++)
        {
            Step();
        }

        Assert.InRange(KernelWorkspace.BlocksAllocated - blocks, 0, 2);
    }

    [Fact]
    public void Large_blocks_are_huge_page_aligned_and_returned_blocks_are_reused()
    {
        KernelWorkspace.Trim();
        nint first;
        using (KernelWorkspace.Lease lease = KernelWorkspace.Rent<float>(3L * 1024 * 1024))
        {
            first = lease.Address;
            Assert.Equal(0, first % (2 * 1024 * 1024));

            // Writable end to end.
            new Span<float>(lease.Pointer<float>(), 3 * 1024 * 1024).Fill(1f);
        }

        using KernelWorkspace.Lease again = KernelWorkspace.Rent<float>(3L * 1024 * 1024);
        Assert.Equal(first, again.Address);
    }

    [Fact]
    public void At_most_the_configured_number_of_free_blocks_is_kept()
    {
        KernelWorkspace.Trim();
        KernelWorkspace.Lease[] leases = Enumerable.Range(1, KernelWorkspace.MaxFreeBlocks + 3).Select(n => KernelWorkspace.Rent<byte>(n * 1000L)).ToArray();
        foreach (KernelWorkspace.Lease lease in leases)
        {
            lease.Dispose();
        }

        long before = KernelWorkspace.BlocksAllocated;

        // The largest blocks were kept, so renting every size again allocates only the dropped small ones.
        KernelWorkspace.Lease[] again = Enumerable.Range(1, KernelWorkspace.MaxFreeBlocks + 3).Select(n => KernelWorkspace.Rent<byte>(n * 1000L)).ToArray();
        Assert.Equal(3, KernelWorkspace.BlocksAllocated - before);
        foreach (KernelWorkspace.Lease lease in again)
        {
            lease.Dispose();
        }
    }


    [Fact]
    public void A_workspace_tensor_hands_its_block_back_when_its_last_reference_goes()
    {
        KernelWorkspace.Trim();
        nint first;
        torch.Tensor view;
        using (torch.Tensor tensor = KernelWorkspace.EmptyTensor([4, 512, 1024], torch.ScalarType.Float32))
        {
            first = (nint)TensorData.Pointer<float>(tensor);
            tensor.fill_(2f);
            view = tensor.view(-1);
        }

        // The view still holds the storage: a new tensor cannot have the block yet.
        using (torch.Tensor other = KernelWorkspace.EmptyTensor([4, 512, 1024], torch.ScalarType.Float32))
        {
            Assert.NotEqual(first, (nint)TensorData.Pointer<float>(other));
            Assert.Equal(2f * 4 * 512 * 1024, view.sum().item<float>());
        }

        view.Dispose();
        long blocks = KernelWorkspace.BlocksAllocated;
        using torch.Tensor again = KernelWorkspace.EmptyTensor([2, 512, 1024], torch.ScalarType.Float64);
        Assert.Equal(blocks, KernelWorkspace.BlocksAllocated);
        Assert.Equal(new long[] { 2, 512, 1024 }, again.shape);
        Assert.Equal(torch.ScalarType.Float64, again.dtype);
    }

    [Fact]
    public void Repeated_layer_forwards_take_their_outputs_from_the_workspace()
    {
        // The regression: outputs from libtorch's allocator came from fresh pages on every call (glibc reuses a freed
        // block only while no small allocation has split it), so every forward page-faulted its whole output again.
        using DisposeScope scope = torch.NewDisposeScope();
        (CpuDiscoContraction contraction, torch.Tensor x, torch.Tensor w) = FreshWorkspaceAndLayer(seed: 5, outChannels: 8);
        nint[] outputs = new nint[6];
        for (int n = 0; n < outputs.Length; n++)
        {
            using torch.Tensor y = contraction.TryContractAndMix(x, w)!;
            outputs[n] = (nint)TensorData.Pointer<double>(y);
        }

        Assert.All(outputs.Skip(1), address => Assert.Equal(outputs[1], address));
    }

    // An emptied workspace and a float64 layer large enough for the huge-page path: 4 input channels on 21×3200,
    // 2 × 20 × 1,600 outputs per channel (≈ 2 MB of kept z), with per-core blocks beside it.
    private static (CpuDiscoContraction Contraction, torch.Tensor X, torch.Tensor Weight) FreshWorkspaceAndLayer(int seed, int outChannels)
    {
        KernelWorkspace.Trim();
        Random random = new(seed);
        PsiTensor psi = RandomPsi(random, kernelSize: 2, nlatOut: 20, nlonOut: 1600, nlatIn: 21, nlonIn: 3200);
        torch.Tensor x = Tensor(RandomArray(random, 4L * 21 * 3200), [1, 4, 21, 3200]);
        torch.Tensor w = Tensor(RandomArray(random, outChannels * 4L * 2), [outChannels, 4, 2]);
        return (new CpuDiscoContraction(psi), x, w);
    }
}

/// <summary>The workspace is process-wide: its tests count blocks, so they do not run beside each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelWorkspaceCollection
{
    public const string Name = "kernel workspace";
}

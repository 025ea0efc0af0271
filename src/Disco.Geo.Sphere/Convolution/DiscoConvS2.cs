using Disco.Geo.Grids;
using Disco.Geo.Sphere.Contraction;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Convolution;

/// <summary>
/// DISCO convolution on the sphere (Ocampo, Price, McEwen, ICLR 2023), the counterpart of torch-harmonics'
/// DiscreteContinuousConvS2: [B, Cin, nlat_in, nlon_in] → [B, Cout, nlat_out, nlon_out]. The output grid may be coarser
/// (downsampling) as long as nlon_in is a multiple of nlon_out. First the sparse contraction with psi gives, per input
/// channel, K basis responses on the output grid; then the weights mix channels and basis functions.
/// </summary>
public sealed class DiscoConvS2 : DiscoConvLayer
{
    /// <summary>Creates the layer; psi is built once per configuration and cached (in memory, and on disk for large grids).</summary>
    /// <exception cref="ArgumentException">
    /// Channels not divisible by groups, nlon_in not a multiple of nlon_out, a non-positive cutoff or an invalid kernel shape.
    /// </exception>
    public DiscoConvS2(string name, int inChannels, int outChannels, SphereGrid inGrid, SphereGrid outGrid, DiscoConvOptions? options = null)
        : this(name, inChannels, outChannels, inGrid, outGrid, options ?? new DiscoConvOptions(), ContractionBackend.Auto)
    {
    }

    internal DiscoConvS2(string name, int inChannels, int outChannels, SphereGrid inGrid, SphereGrid outGrid, DiscoConvOptions options, ContractionBackend backend)
        : base(name, inChannels, outChannels, inGrid, outGrid, options, transpose: false, backend)
    {
    }

    /// <summary>x [B, Cin, nlat_in, nlon_in] → [B, Cout, nlat_out, nlon_out].</summary>
    /// <exception cref="ArgumentException">Wrong rank, shape, dtype or device; the message says what to change.</exception>
    public override Tensor forward(Tensor x)
    {
        ValidateInput(x);
        using DisposeScope scope = NewDisposeScope();
        long batch = x.shape[0];
        int groups = Options.Groups;
        int kernelSize = Basis.KernelSize;
        int groupIn = InChannels / groups;
        int mixedChannels = MixedChannels;
        int groupOut = mixedChannels / groups;
        Tensor weight = MixingWeight();
        long outNodes = (long)OutGrid.NLat * OutGrid.NLon;

        // On CPU the kernel contracts and mixes in one pass, so z never makes a round trip through memory between
        // the two; with gradients it also keeps z for the weight gradient and runs the backward on its own kernels.
        if (groups == 1 && Contraction is IFusedContraction fused)
        {
            bool needsGradient = is_grad_enabled() && (x.requires_grad || weight.requires_grad);
            Tensor? fusedOutput = needsGradient ? fused.TryContractAndMixDifferentiable(x, weight) : fused.TryContractAndMix(x, weight);
            if (fusedOutput is not null)
            {
                // amax keeps its output for the backward, so a pooled output takes the bias out of place.
                Tensor y = Options.OrientationPooling ? AddBias(PoolOrientations(fusedOutput)) : AddBiasInPlace(fusedOutput);
                return y.MoveToOuterDisposeScope();
            }
        }

        // z [B, Cin, K, Ho, Wo] viewed as [B, G, Cg·K, Ho·Wo]; weight (Cout, Cg, K) as [G, Og, Cg·K].
        Tensor z = Contraction.Contract(x).view(batch, groups, groupIn * kernelSize, outNodes);
        Tensor mixed = matmul(weight.view(groups, groupOut, groupIn * kernelSize), z);
        Tensor output = AddBias(PoolOrientations(mixed.view(batch, mixedChannels, OutGrid.NLat, OutGrid.NLon)));
        return output.MoveToOuterDisposeScope();
    }
}

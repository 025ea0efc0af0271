using Disco.Geo.Grids;
using Disco.Geo.Sphere.Contraction;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Convolution;

/// <summary>
/// Transposed DISCO convolution, the counterpart of torch-harmonics' DiscreteContinuousConvTransposeS2, used to
/// upsample: [B, Cin, nlat_in, nlon_in] → [B, Cout, nlat_out, nlon_out] with nlon_out a multiple of nlon_in. The
/// weights first mix channels into K basis maps on the coarse grid; then the adjoint of the fine → coarse contraction
/// spreads them onto the fine grid. Psi is that of the fine → coarse forward convolution, normalised per fine latitude.
/// </summary>
public sealed class DiscoConvTransposeS2 : DiscoConvLayer
{
    /// <summary>Creates the layer; psi is built once per configuration and cached.</summary>
    /// <exception cref="ArgumentException">
    /// Channels not divisible by groups, nlon_out not a multiple of nlon_in, a non-positive cutoff or an invalid kernel shape.
    /// </exception>
    public DiscoConvTransposeS2(string name, int inChannels, int outChannels, SphereGrid inGrid, SphereGrid outGrid, DiscoConvOptions? options = null)
        : this(name, inChannels, outChannels, inGrid, outGrid, options ?? new DiscoConvOptions(), ContractionBackend.Auto)
    {
    }

    internal DiscoConvTransposeS2(string name, int inChannels, int outChannels, SphereGrid inGrid, SphereGrid outGrid, DiscoConvOptions options, ContractionBackend backend)
        : base(name, inChannels, outChannels, inGrid, outGrid, options, transpose: true, backend)
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
        long inNodes = (long)InGrid.NLat * InGrid.NLon;

        // u[b, o, k, node] = Σ_c W[o, c, k] x[b, c, node]: weight (Cout, Cg, K) as [G, Og·K, Cg], x as [B, G, Cg, nodes].
        Tensor w = MixingWeight().view(groups, groupOut, groupIn, kernelSize).permute(0, 1, 3, 2).reshape(groups, groupOut * kernelSize, groupIn);
        Tensor u = matmul(w, x.reshape(batch, groups, groupIn, inNodes))
            .view(batch, mixedChannels, kernelSize, InGrid.NLat, InGrid.NLon);
        Tensor y = AddBias(PoolOrientations(Contraction.ContractAdjoint(u)));
        return y.MoveToOuterDisposeScope();
    }
}

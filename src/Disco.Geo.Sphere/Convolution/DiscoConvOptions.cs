using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Psi;

namespace Disco.Geo.Sphere.Convolution;

/// <summary>
/// The filter settings of a DISCO convolution, named and defaulted as in torch-harmonics'
/// DiscreteContinuousConvS2 except <see cref="ThetaCutoff"/> (see <see cref="Psi.ThetaCutoff"/>).
/// </summary>
public sealed record DiscoConvOptions
{
    /// <summary>Kernel shape: piecewise linear n or (nr, nphi); harmonic n or (a, b); zernike n. Default (3, 3).</summary>
    public IReadOnlyList<int> KernelShape { get; init; } = [3, 3];

    /// <summary>Basis family. Default piecewise linear.</summary>
    public BasisType BasisType { get; init; } = BasisType.PiecewiseLinear;

    /// <summary>Basis normalisation. Default nodal (torch-harmonics ≥ 0.9.1).</summary>
    public BasisNormalization Normalization { get; init; } = BasisNormalization.Nodal;

    /// <summary>Channel groups: input and output channels are split into this many independent groups. Default 1.</summary>
    public int Groups { get; init; } = 1;

    /// <summary>Whether the layer adds a learned bias per output channel. Default true.</summary>
    public bool Bias { get; init; } = true;

    /// <summary>
    /// Filter radius in radians. Null picks <see cref="Psi.ThetaCutoff.Default"/>: (nr+1)/2 steps of the coarser grid.
    /// Pass <see cref="Psi.ThetaCutoff.TorchHarmonicsDefault"/> explicitly to reproduce a torch-harmonics layer built
    /// without theta_cutoff.
    /// </summary>
    public double? ThetaCutoff { get; init; }

    /// <summary>
    /// Orientation pooling: each output channel is the largest response of its filter over the basis' discrete
    /// rotations about the filter centre (the nphi sector rotations of a directional piecewise linear kernel), so a
    /// directional filter answers to a pattern in any of those orientations. Same parameters, nphi times the mixing
    /// work. Default false; requires a basis with more than one sector.
    /// </summary>
    public bool OrientationPooling { get; init; }
}

using Disco.Geo.Grids;
using Disco.Geo.Sphere.FilterBases;

namespace Disco.Geo.Sphere.Psi;

/// <summary>
/// The filter radius θ_c. torch-harmonics defaults to one latitude step of the coarser grid, π/(nlat−1): with a
/// piecewise linear kernel of nr radial hats that leaves dr = 2θ_c/(nr+1) below a grid step, so most hats see a single
/// ring of nodes, and at the pole rows only the 1.001 support inflation gives the outer hat any non-zero value —
/// nodal normalisation then divides by ~1e-3 and amplifies rounding. Our default is the one torch-harmonics' own
/// examples use: (nr+1)/2 grid steps of the coarser grid, which makes the hat spacing dr exactly one grid step, so
/// every hat covers whole rings of neighbours at every latitude. The grid step is the largest latitude gap of either
/// grid (the gap across a pole included for grids without pole rows). Pass an explicit value to override.
/// </summary>
public static class ThetaCutoff
{
    /// <summary>Our default cutoff for a basis between two grids (see the class remarks).</summary>
    public static double Default(FilterBasis basis, SphereGrid input, SphereGrid output)
    {
        ArgumentNullException.ThrowIfNull(basis);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        int radial = basis.KernelShape[0];
        double step = Math.Max(MaxLatitudeStep(input), MaxLatitudeStep(output));
        return Math.Min(Math.PI, (radial + 1) / 2.0 * step);
    }

    /// <summary>torch-harmonics' default before its change #250: π/(nlat − 1) of the coarser grid (nlat_out for a forward, nlat_in for a transposed convolution).</summary>
    public static double TorchHarmonicsDefault(SphereGrid coarse)
    {
        ArgumentNullException.ThrowIfNull(coarse);
        return Math.PI / (coarse.NLat - 1);
    }

    /// <summary>The largest angular gap between consecutive rows, including the gap across each pole when the grid has no pole row.</summary>
    public static double MaxLatitudeStep(SphereGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ReadOnlySpan<double> theta = grid.Colatitudes;
        double step = Math.Max(2.0 * theta[0], 2.0 * (Math.PI - theta[^1]));
        for (int i = 1; i < theta.Length; i++)
        {
            step = Math.Max(step, theta[i] - theta[i - 1]);
        }

        return step;
    }
}

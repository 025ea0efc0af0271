using Disco.Geo.Grids;

namespace Disco.Geo.Sphere.Models;

/// <summary>
/// The grids of a U-Net's levels: each level halves the previous grid in both directions and keeps its kind. Grids
/// with pole rows keep both poles, so nlat → (nlat + 1) / 2 (181 → 91 → 46 → 23 is 1° → 2° → 4° → 8° on an
/// equiangular grid); the others take nlat → nlat / 2. nlon halves and must stay whole, because a DISCO convolution
/// needs nlon_in to be a multiple of nlon_out. The coarse grid keeps the fine grid's western edge: node grids keep
/// column 0 in place, pixel-centred (equirectangular) grids put their coarse pixel centres between two fine ones.
/// </summary>
public static class GridPyramid
{
    /// <summary>The next coarser grid.</summary>
    /// <exception cref="ArgumentException">nlon is odd, or the grid is already too small to halve.</exception>
    public static SphereGrid Coarsen(SphereGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (grid.NLon % 2 != 0)
        {
            throw new ArgumentException(
                $"Cannot halve {grid}: nlon = {grid.NLon} is odd. Use fewer levels, or a grid whose nlon is divisible by 2^(levels - 1).",
                nameof(grid));
        }

        int nlat = grid.HasPoleRows ? (grid.NLat + 1) / 2 : grid.NLat / 2;
        int nlon = grid.NLon / 2;
        if (nlat < 3 || nlon < 4)
        {
            throw new ArgumentException(
                $"Cannot halve {grid}: the coarser grid would be {nlat}x{nlon}, too small for a convolution. Use fewer levels or a finer grid.",
                nameof(grid));
        }

        double westernEdgeShift = SphereGrid.DefaultLonOrigin(grid.Kind, nlon) - SphereGrid.DefaultLonOrigin(grid.Kind, grid.NLon);
        return SphereGrid.Create(grid.Kind, nlat, nlon, grid.LonOriginDegrees + westernEdgeShift);
    }

    /// <summary>The grids of <paramref name="levels"/> levels, finest first (level 0 is <paramref name="grid"/> itself).</summary>
    /// <exception cref="ArgumentException">Fewer than one level, or a level cannot be halved (the message names it).</exception>
    public static IReadOnlyList<SphereGrid> Build(SphereGrid grid, int levels)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (levels < 1)
        {
            throw new ArgumentException($"levels = {levels}: a U-Net needs at least one level.", nameof(levels));
        }

        List<SphereGrid> grids = [grid];
        for (int level = 1; level < levels; level++)
        {
            try
            {
                grids.Add(Coarsen(grids[^1]));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Level {level} of {levels}: {e.Message}", nameof(levels), e);
            }
        }

        return grids;
    }
}

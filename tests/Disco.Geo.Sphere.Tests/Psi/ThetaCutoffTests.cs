using Disco.Geo.Grids;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Psi;

namespace Disco.Geo.Sphere.Tests.Psi;

public class ThetaCutoffTests
{
    [Fact]
    public void Default_puts_the_radial_hats_one_coarse_grid_step_apart()
    {
        SphereGrid fine = SphereGrid.Create(GridKind.Equiangular, 181, 360);
        SphereGrid coarse = SphereGrid.Create(GridKind.Equiangular, 91, 180);
        FilterBasis basis = FilterBasis.Create(BasisType.PiecewiseLinear, 3, 3);
        double cutoff = ThetaCutoff.Default(basis, fine, coarse);
        Assert.Equal(2 * Math.PI / 90, cutoff, 1e-13); // grid steps come from arccos, accurate to ~1e-15

        // dr = 2 r_c / (nr + 1) equals one coarse step.
        Assert.Equal(Math.PI / 90, 2 * cutoff / 4, 1e-13);
        Assert.Equal(Math.PI / 90, ThetaCutoff.TorchHarmonicsDefault(coarse), 1e-15);
    }

    [Fact]
    public void Grids_without_pole_rows_count_the_gap_across_the_pole()
    {
        SphereGrid gauss = SphereGrid.Create(GridKind.LegendreGauss, 8, 16);
        double step = ThetaCutoff.MaxLatitudeStep(gauss);
        Assert.Equal(2 * gauss.Colatitude(0), step, 1e-15);
        Assert.True(step > gauss.Colatitude(1) - gauss.Colatitude(0));

        SphereGrid pixels = SphereGrid.Create(GridKind.Equirectangular, 90, 180);
        Assert.Equal(Math.PI / 90, ThetaCutoff.MaxLatitudeStep(pixels), 1e-14);
    }

    [Fact]
    public void The_default_keeps_pole_rows_well_conditioned_where_one_grid_step_does_not()
    {
        // With one grid step, the outer hat of the pole row sees its neighbours only through the 1.001 inflation:
        // its largest raw value is ~1e-3. Our default gives it values of order one.
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 33, 64);
        FilterBasis basis = FilterBasis.Create(BasisType.PiecewiseLinear, 3);
        double poleRowOuterHatPeak(double cutoff)
        {
            PsiTensor raw = PsiBuilder.EvaluateBasis(new PsiSpec(grid, grid, basis, cutoff, BasisNormalization.Nodal, false));
            int row = raw.Row(1, 0);
            return raw.Values.AsSpan(raw.RowOffsets[row], raw.RowOffsets[row + 1] - raw.RowOffsets[row]).ToArray().Max();
        }

        Assert.True(poleRowOuterHatPeak(ThetaCutoff.TorchHarmonicsDefault(grid)) < 2e-3);
        Assert.True(poleRowOuterHatPeak(ThetaCutoff.Default(basis, grid, grid)) > 0.9);
    }
}

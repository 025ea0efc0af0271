using Disco.Geo.Grids;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Rotations;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Rotations;

public class GridSymmetryTests
{
    /// <summary>A smooth signal with no symmetry, not a polynomial in (θ, λ) or (x, y, z).</summary>
    private static double F(double x, double y, double z) => Math.Exp(x) * Math.Cos(2 * y) + Math.Sin(3 * z) + 0.4 * x * y;

    private static Tensor Sample(SphereGrid grid, Rotation? rotation = null)
    {
        double[] values = new double[grid.NLat * grid.NLon];
        for (int i = 0; i < grid.NLat; i++)
        {
            for (int p = 0; p < grid.NLon; p++)
            {
                (double x, double y, double z) = Rotation.ToVector(grid.Colatitude(i), grid.LongitudeDegrees(p) * Math.PI / 180);
                if (rotation is not null)
                {
                    (x, y, z) = rotation.ApplyInverse(x, y, z);
                }

                values[i * grid.NLon + p] = F(x, y, z);
            }
        }

        return tensor(values, [grid.NLat, grid.NLon]);
    }

    public static IEnumerable<object[]> KindsAndWidths() =>
        Enum.GetValues<GridKind>().SelectMany(k => new[] { new object[] { k, 32 }, [k, 33] });

    [Theory]
    [MemberData(nameof(KindsAndWidths))]
    public void Flips_and_rolls_are_exact_permutations_with_bit_identical_round_trips_on_every_grid_kind(GridKind kind, int nlon)
    {
        SphereGrid grid = SphereGrid.Create(kind, 17, nlon);
        Assert.True(GridSymmetry.FlipIsExact(grid));
        using Tensor signal = Sample(grid);
        using Tensor labels = randint(0, 5, [3, grid.NLat, grid.NLon], dtype: int64);
        Rotation[] rotations =
        [
            Rotation.AboutX(Math.PI),
            Rotation.AboutX(Math.PI).Then(Rotation.AboutZ(2 * Math.PI * 5 / nlon)),
            Rotation.FromAxisAngle(Math.Cos(Math.PI * 3 / nlon), Math.Sin(Math.PI * 3 / nlon), 0, Math.PI), // π about an equatorial axis between columns
            Rotation.AboutZ(2 * Math.PI * 7 / nlon),
        ];
        foreach (Rotation rotation in rotations)
        {
            GridRotation there = GridRotation.Create(grid, rotation, Interpolation.Bicubic);
            GridRotation back = GridRotation.Create(grid, rotation.Inverse(), Interpolation.Bicubic);
            Assert.NotNull(there.Exact);
            Assert.NotNull(back.Exact);
            using Tensor moved = there.Interpolate(signal);

            // The permutation is the rotation: equal to the analytic rotated signal up to the signal's own rounding.
            using Tensor expected = Sample(grid, rotation);
            Assert.True((moved - expected).abs().max().item<double>() < 1e-12, $"{grid}: {rotation.ToEulerZyz()}");
            using Tensor returned = back.Interpolate(moved);
            Assert.True(returned.equal(signal).all().item<bool>());
            using Tensor returnedLabels = back.Nearest(there.Nearest(labels));
            Assert.True(returnedLabels.equal(labels).all().item<bool>());
        }
    }

    [Fact]
    public void The_flip_is_not_used_where_longitudes_are_not_symmetric_about_zero()
    {
        SphereGrid shifted = SphereGrid.Create(GridKind.Equiangular, 17, 32, -180 + 0.3 * 360 / 32);
        Assert.False(GridSymmetry.FlipIsExact(shifted));
        Assert.False(GridSymmetry.TryFind(Rotation.AboutX(Math.PI), shifted, out _));
        GridRotation flip = GridRotation.Create(shifted, Rotation.AboutX(Math.PI));
        Assert.Null(flip.Exact);
        Assert.Equal(4, flip.Taps);
        Assert.True(GridSymmetry.TryFind(Rotation.AboutZ(2 * Math.PI * 3 / 32), shifted, out GridSymmetry roll));
        Assert.Equal(new GridSymmetry(false, 3), roll);
        Assert.Throws<ArgumentException>(() => GridRotation.Exactly(shifted, new GridSymmetry(true, 0)));

        // A rotation by π about an axis off the equator is not a symmetry of any latitude–longitude grid.
        Assert.False(GridSymmetry.TryFind(Rotation.FromAxisAngle(1, 0, 0.1, Math.PI), SphereGrid.Create(GridKind.Equiangular, 17, 32), out _));
    }

    public static IEnumerable<object[]> SmoothKinds() =>
        new[] { GridKind.Equiangular, GridKind.LegendreGauss, GridKind.Equirectangular }.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(SmoothKinds))]
    public void Bicubic_resampling_is_fourth_order_and_bilinear_second_order_poles_included(GridKind kind)
    {
        Rotation rotation = Rotation.FromEulerZyz(0.7, 1.1, -0.4);
        double Error(int nlat, Interpolation mode)
        {
            SphereGrid grid = SphereGrid.Create(kind, nlat, 2 * (nlat - (kind == GridKind.Equiangular ? 1 : 0)));
            using Tensor resampled = SphereResampler.Create(grid, grid, rotation, mode).Apply(Sample(grid));
            using Tensor expected = Sample(grid, rotation);
            return (resampled - expected).abs().max().item<double>();
        }

        int coarse = kind == GridKind.Equiangular ? 33 : 32, fine = kind == GridKind.Equiangular ? 65 : 64;
        double cubicCoarse = Error(coarse, Interpolation.Bicubic), cubicFine = Error(fine, Interpolation.Bicubic);
        double linearCoarse = Error(coarse, Interpolation.Bilinear), linearFine = Error(fine, Interpolation.Bilinear);

        // Halving the node spacing divides the worst error (poles included) by about 2⁴ = 16 for bicubic, 2² = 4 for bilinear.
        Assert.InRange(cubicCoarse / cubicFine, 11, 24);
        Assert.InRange(linearCoarse / linearFine, 3, 5.5);
        Assert.True(cubicFine < linearFine / 20, $"{kind}: bicubic {cubicFine:E2}, bilinear {linearFine:E2}");
    }

    [Theory]
    [MemberData(nameof(SmoothKinds))]
    public void Bicubic_weights_reproduce_constants_and_node_values_and_take_rows_across_the_pole(GridKind kind)
    {
        SphereGrid grid = SphereGrid.Create(kind, 16 + (kind == GridKind.Equiangular ? 1 : 0), 32);
        Span<long> index = stackalloc long[16];
        Span<double> weight = stackalloc double[16];

        // At a node: weight 1 on it.
        SphereResampler.CubicTaps(grid, grid.Colatitude(5), grid.LongitudeDegrees(7) * Math.PI / 180, index, weight);
        int at = index.IndexOf(5L * 32 + 7);
        Assert.True(at >= 0);
        Assert.Equal(1.0, weight[at], 12);
        double sum = 0;
        foreach (double w in weight)
        {
            sum += w;
        }

        Assert.Equal(1.0, sum, 12);

        // Next to the north pole (column 17.5): sixteen different nodes, some on the opposite meridian (columns 0..3,
        // rows seen across the pole), some on this one (columns 16..19); a pole row is its own mirror, so not taken twice.
        SphereResampler.CubicTaps(grid, grid.Colatitude(0) * 0.5 + 0.01, 0.3, index, weight);
        long[] nodes = index.ToArray();
        Assert.Equal(16, nodes.Distinct().Count());
        Assert.Contains(nodes, n => n % 32 is >= 0 and <= 3);
        Assert.Contains(nodes, n => n % 32 is >= 16 and <= 19);
        double total = 0;
        foreach (double w in weight)
        {
            total += w;
        }

        Assert.Equal(1.0, total, 12);
    }
}

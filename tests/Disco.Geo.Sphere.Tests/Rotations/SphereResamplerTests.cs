using Disco.Geo.Grids;
using Disco.Geo.Sphere.Rotations;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Rotations;

public class SphereResamplerTests
{
    /// <summary>A smooth test signal that is not symmetric about any axis.</summary>
    private static double F(double x, double y, double z) => x + 0.5 * y * z + 0.3 * z * z * z - 0.2 * x * y;

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

    public static IEnumerable<object[]> Kinds() => Enum.GetValues<GridKind>().Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Rotated_resampling_matches_the_analytic_rotated_signal_on_every_grid_kind(GridKind kind)
    {
        SphereGrid grid = SphereGrid.Create(kind, 91, 180);
        Random random = new(3);
        for (int trial = 0; trial < 3; trial++)
        {
            Rotation rotation = Rotation.Random(random);
            using Tensor resampled = SphereResampler.Create(grid, grid, rotation, Interpolation.Bilinear).Apply(Sample(grid));
            using Tensor expected = Sample(grid, rotation);
            double error = (resampled - expected).abs().max().item<double>();

            // Bilinear interpolation errs by about (h_θ² + h_λ²)·|f''|/8 for the widest row gap h_θ (12° near the poles
            // of the trapezoidal grid, 2° elsewhere) and the column step h_λ; |f''| ≤ 3 for this signal, poles included.
            double hTheta = Disco.Geo.Sphere.Psi.ThetaCutoff.MaxLatitudeStep(grid);
            double hLambda = 2 * Math.PI / grid.NLon;
            double bound = 3 * (hTheta * hTheta + hLambda * hLambda) / 8;
            Assert.True(error < bound, $"{kind}: max error {error:E3}, bound {bound:E3}");
        }
    }

    [Fact]
    public void Interpolation_across_the_pole_is_continuous_on_grids_without_pole_rows()
    {
        SphereGrid source = SphereGrid.Create(GridKind.Equirectangular, 18, 36);
        SphereGrid fine = SphereGrid.Create(GridKind.Equiangular, 181, 360);
        using Tensor resampled = SphereResampler.Create(source, fine, null, Interpolation.Bilinear).Apply(Sample(source));
        using Tensor expected = Sample(fine);
        double poleRowSpread = (resampled[0].max() - resampled[0].min()).item<double>();
        Assert.True(poleRowSpread < 1e-12, $"the north pole gets one value, spread {poleRowSpread:E2}");
        double error = (resampled - expected).abs().max().item<double>();
        Assert.True(error < 0.05, $"coarse 10° source: max error {error:E3}");
    }

    [Fact]
    public void A_rotation_about_the_pole_by_whole_steps_is_an_exact_roll()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.LegendreGauss, 16, 32);
        SphereResampler resampler = SphereResampler.Create(grid, grid, Rotation.AboutZ(2 * Math.PI * 5 / 32), Interpolation.Bilinear);
        Assert.Equal(5, resampler.ExactRollSteps);
        using Tensor x = randn(2, 3, 16, 32, dtype: float64);
        using Tensor rolled = resampler.Apply(x);
        Assert.True(rolled.eq(roll(x, 5, -1)).all().item<bool>());

        // The interpolating path agrees with the roll: a feature at longitude λ moves to λ + 5 steps.
        SphereResampler general = SphereResampler.Create(grid, SphereGrid.Create(GridKind.LegendreGauss, 16, 32, -180.0 + 1e-12), Rotation.AboutZ(2 * Math.PI * 5 / 32), Interpolation.Bilinear);
        Assert.Null(general.ExactRollSteps);
        Assert.True((general.Apply(x) - rolled).abs().max().item<double>() < 1e-9);
    }

    [Fact]
    public void Nearest_resampling_only_ever_returns_source_values()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 33, 64);
        using Tensor labels = randint(0, 5, [33, 64], dtype: int64);
        using Tensor moved = SphereResampler.Create(grid, grid, Rotation.FromEulerZyz(0.3, 1.2, -0.4), Interpolation.Nearest).Apply(labels);
        Assert.Equal(ScalarType.Int64, moved.dtype);
        Assert.True(moved.ge(0).all().item<bool>() && moved.lt(5).all().item<bool>());
        using Tensor unrotated = SphereResampler.Create(grid, grid, null, Interpolation.Nearest).Apply(labels);
        Assert.True(unrotated.eq(labels).all().item<bool>());
    }

    [Fact]
    public void Wrong_shapes_and_integer_bilinear_inputs_are_rejected()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 9, 16);
        SphereResampler resampler = SphereResampler.Create(grid, grid, Rotation.AboutX(0.2), Interpolation.Bilinear);
        ArgumentException shape = Assert.Throws<ArgumentException>(() => resampler.Apply(zeros(9, 17)));
        Assert.Contains("[9, 16]", shape.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => resampler.Apply(zeros([9, 16], dtype: int64)));
    }
}

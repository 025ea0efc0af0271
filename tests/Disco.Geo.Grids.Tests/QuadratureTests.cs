using Disco.Geo.Grids;
using Disco.Geo.Sphere.Tests.Conformance;

namespace Disco.Geo.Grids.Tests;

public class QuadratureTests
{
    public static IEnumerable<object[]> Kinds() => Enum.GetValues<GridKind>().Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Node_areas_sum_to_the_area_of_the_sphere(GridKind kind)
    {
        foreach (int nlat in new[] { 2, 3, 8, 17, 64, 181 })
        {
            if (kind is GridKind.LegendreGauss or GridKind.Equirectangular || nlat >= 2)
            {
                SphereGrid grid = SphereGrid.Create(kind, nlat, 2 * nlat);
                double total = Enumerable.Range(0, nlat).Sum(i => grid.NodeArea(i)) * grid.NLon;
                Assert.Equal(4.0 * Math.PI, total, 1e-12);
            }
        }
    }

    /// <summary>
    /// ∫ Y dΩ over the sphere for Y = cos^a θ · (sin θ cos φ)^b: exact for the degrees each rule integrates exactly.
    /// With equispaced longitudes every rule is exact in φ up to degree nlon − 1.
    /// </summary>
    [Theory]
    [InlineData(GridKind.Equiangular, 17, 16)]           // Clenshaw–Curtis with n nodes: exact to degree n − 1
    [InlineData(GridKind.LegendreGauss, 9, 17)]          // Gauss: exact to degree 2n − 1
    [InlineData(GridKind.Lobatto, 9, 15)]                // Lobatto: exact to degree 2n − 3
    [InlineData(GridKind.EquiangularTrapezoidal, 64, 1)] // trapezoid in cos θ: exact for linear polynomials in cos θ
    [InlineData(GridKind.Equirectangular, 12, 11)]       // Fejér's first rule: exact to degree n − 1
    public void Integrates_spherical_polynomials_exactly_up_to_the_rules_degree(GridKind kind, int nlat, int degree)
    {
        SphereGrid grid = SphereGrid.Create(kind, nlat, 2 * degree + 4);
        for (int a = 0; a <= degree; a++)
        {
            for (int b = 0; a + b <= degree; b += 2)
            {
                double numeric = 0.0;
                for (int i = 0; i < grid.NLat; i++)
                {
                    double theta = grid.Colatitude(i);
                    for (int p = 0; p < grid.NLon; p++)
                    {
                        double phi = grid.LongitudeRadians(p);
                        numeric += grid.NodeArea(i) * Math.Pow(Math.Cos(theta), a) * Math.Pow(Math.Sin(theta) * Math.Cos(phi), b);
                    }
                }

                Assert.True(
                    Math.Abs(numeric - ExactMonomialIntegral(a, b)) < 1e-12,
                    $"{kind} n={nlat}: ∫cos^{a}θ (sinθcosφ)^{b} = {numeric}, exact {ExactMonomialIntegral(a, b)}");
            }
        }
    }

    [Fact]
    public void Trapezoidal_rule_is_not_exact_for_quadratics_so_the_degree_test_is_meaningful()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.EquiangularTrapezoidal, 8, 4);
        double numeric = Enumerable.Range(0, grid.NLat).Sum(i => grid.NodeArea(i) * Math.Pow(Math.Cos(grid.Colatitude(i)), 2)) * grid.NLon;
        Assert.True(Math.Abs(numeric - ExactMonomialIntegral(2, 0)) > 1e-3);
    }

    [Theory]
    [MemberData(nameof(ReferenceCase.All), MemberType = typeof(ReferenceCase))]
    public void Colatitudes_weights_and_longitudes_match_torch_harmonics(string name)
    {
        ReferenceCase reference = ReferenceCase.Load(name);
        foreach ((string suffix, string gridKey, (int Nlat, int Nlon) shape) in new[]
                 {
                     ("in", "grid_in", reference.InShape),
                     ("out", "grid_out", reference.OutShape),
                 })
        {
            SphereGrid grid = SphereGrid.Create(GridKindNames.Parse(reference.String(gridKey)), shape.Nlat, shape.Nlon);
            double[] colat = reference.Array($"colat_{suffix}");
            double[] weights = reference.Array($"qw_{suffix}");
            double[] lon = reference.Array($"lon_{suffix}");
            for (int i = 0; i < grid.NLat; i++)
            {
                Assert.Equal(colat[i], grid.Colatitude(i), 1e-14);
                Assert.Equal(weights[i], grid.LatitudeWeights[i], 1e-14);
            }

            for (int p = 0; p < grid.NLon; p++)
            {
                Assert.Equal(lon[p], grid.LongitudeRadians(p), 1e-14);
            }
        }
    }

    [Fact]
    public void Equirectangular_grid_matches_a_global_pixel_centred_raster()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equirectangular, 180, 360);
        Assert.Equal(89.5, grid.LatitudeDegrees(0), 1e-12);
        Assert.Equal(-89.5, grid.LatitudeDegrees(179), 1e-12);
        Assert.Equal(-179.5, grid.LongitudeDegrees(0), 1e-12);
        Assert.Equal(179.5, grid.LongitudeDegrees(359), 1e-12);
        Assert.False(grid.HasPoleRows);
    }

    [Fact]
    public void Bad_sizes_and_names_are_rejected_with_the_parameter_named()
    {
        ArgumentException nlat = Assert.Throws<ArgumentException>(() => SphereGrid.Create(GridKind.Equiangular, 1, 8));
        Assert.Equal("nlat", nlat.ParamName);
        ArgumentException nlon = Assert.Throws<ArgumentException>(() => SphereGrid.Create(GridKind.LegendreGauss, 4, 0));
        Assert.Equal("nlon", nlon.ParamName);
        ArgumentException kind = Assert.Throws<ArgumentException>(() => GridKindNames.Parse("healpix"));
        Assert.Contains("equiangular", kind.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SphereGrid.Create(GridKind.Equiangular, 8, 16, double.NaN));
    }

    /// <summary>∫_S² cos^a θ (sin θ cos φ)^b dΩ in closed form (Beta functions), zero for odd a or b.</summary>
    private static double ExactMonomialIntegral(int a, int b)
    {
        if (a % 2 == 1 || b % 2 == 1)
        {
            return 0.0;
        }

        // ∫_0^{2π} cos^b φ dφ = 2π (b−1)!!/b!!
        double phiPart = 2.0 * Math.PI * DoubleFactorialRatio(b);

        // ∫_0^π cos^a θ sin^{b+1} θ dθ = ∫_{-1}^{1} x^a (1−x²)^{b/2} dx = B((a+1)/2, b/2+1)
        double thetaPart = Math.Exp(LogGamma((a + 1) / 2.0) + LogGamma(b / 2.0 + 1) - LogGamma((a + 1) / 2.0 + b / 2.0 + 1));
        return phiPart * thetaPart;
    }

    private static double DoubleFactorialRatio(int b)
    {
        double ratio = 1.0;
        for (int k = b; k > 0; k -= 2)
        {
            ratio *= (k - 1.0) / k;
        }

        return ratio;
    }

    private static double LogGamma(double x)
    {
        // x is a positive half-integer or integer here: use Γ(x+1) = xΓ(x) down to Γ(1) = 1 or Γ(½) = √π.
        double log = 0.0;
        while (x > 1.0)
        {
            x -= 1.0;
            log += Math.Log(x);
        }

        return log + (Math.Abs(x - 0.5) < 1e-12 ? 0.5 * Math.Log(Math.PI) : 0.0);
    }
}

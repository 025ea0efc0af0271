using Disco.Geo.Grids;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Tests.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Models;

public class SphereModelTests
{
    public static IEnumerable<object[]> Variants() =>
        from architecture in new[] { ModelArchitecture.DiscoUnet, ModelArchitecture.PlanarUnet }
        from grid in new[] { (GridKind.Equiangular, 17, 32), (GridKind.LegendreGauss, 16, 32), (GridKind.Equirectangular, 16, 32), (GridKind.Lobatto, 17, 32) }
        select new object[] { architecture, grid.Item1, grid.Item2, grid.Item3 };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Both_architectures_map_inputs_to_outputs_on_every_grid_kind(ModelArchitecture architecture, GridKind kind, int nlat, int nlon)
    {
        SphereGrid grid = SphereGrid.Create(kind, nlat, nlon);
        ModelConfig config = ModelConfig.Create(ModelTask.Segmentation, 3, 4, grid, levels: 3, baseChannels: 4) with { Architecture = architecture };
        using SphereModel model = SphereModelFactory.Create(config, seed: 3);
        using Tensor x = randn(2, 3, nlat, nlon);
        using Tensor y = model.forward(x);
        Assert.Equal([2, 4, nlat, nlon], y.shape);
        Assert.True(y.isfinite().all().item<bool>());
        Assert.Equal(SphereModelFactory.CountParameters(config), model.ParameterCount);
    }

    [Fact]
    public void The_planar_baseline_has_within_25_percent_of_the_disco_unets_parameters()
    {
        foreach (int[] kernel in new[] { new[] { 3 }, [5], [3, 3] })
        {
            ModelConfig disco = ModelConfig.Reference(ModelTask.Segmentation, 3, 2, SphereGrid.Create(GridKind.Equiangular, 181, 360)) with { KernelShape = kernel };
            ModelConfig planar = SphereModelFactory.PlanarBaselineFor(disco);
            double ratio = (double)SphereModelFactory.CountParameters(planar) / SphereModelFactory.CountParameters(disco);
            Assert.Equal(ModelArchitecture.PlanarUnet, planar.Architecture);
            Assert.InRange(ratio, 0.75, 1.25);
        }

        // Built models agree with the analytic counts.
        ModelConfig tiny = SyntheticSpheres.TinyConfig();
        using SphereModel discoModel = SphereModelFactory.Create(tiny);
        using SphereModel planarModel = SphereModelFactory.Create(SphereModelFactory.PlanarBaselineFor(tiny));
        Assert.InRange((double)planarModel.ParameterCount / discoModel.ParameterCount, 0.75, 1.25);
    }

    [Fact]
    public void A_parameter_budget_scales_every_level_by_one_factor_to_the_budget()
    {
        ModelConfig reference = ModelConfig.Reference(ModelTask.Segmentation, 3, 2, SphereGrid.Create(GridKind.Equiangular, 181, 360));
        long budget = SphereModelFactory.CountParameters(reference);
        foreach (int[] kernel in new[] { new[] { 3, 3 }, [5, 4], [5, 8] })
        {
            ModelConfig scaled = SphereModelFactory.WithParameterBudget(reference with { KernelShape = kernel }, budget);
            double ratio = (double)SphereModelFactory.CountParameters(scaled) / budget;
            Assert.InRange(ratio, 0.9, 1.1);

            // More weights per channel pair, so narrower, by one factor for every level (up to rounding to multiples of 8).
            double factor = scaled.Channels[^1] / (double)reference.Channels[^1];
            Assert.InRange(factor, 0.2, 0.95);
            for (int l = 0; l < scaled.Levels; l++)
            {
                Assert.InRange(scaled.Channels[l], Math.Max(8, reference.Channels[l] * factor - 8), reference.Channels[l] * factor + 8);
                Assert.Equal(0, scaled.Channels[l] % 8);
            }
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => SphereModelFactory.WithParameterBudget(reference, 0));
    }

    [Fact]
    public void The_same_seed_gives_the_same_weights_and_another_seed_different_ones()
    {
        ModelConfig config = SyntheticSpheres.TinyConfig();
        using SphereModel a = SphereModelFactory.Create(config, 7);
        using SphereModel b = SphereModelFactory.Create(config, 7);
        using SphereModel c = SphereModelFactory.Create(config, 8);
        foreach (((string name, Tensor ta), Tensor tb, Tensor tc) in a.state_dict().Zip(b.state_dict().Values, c.state_dict().Values))
        {
            Assert.True(ta.equal(tb).all().item<bool>(), $"{name} differs for the same seed");
            if (name.EndsWith("conv1.weight", StringComparison.Ordinal))
            {
                Assert.False(ta.equal(tc).all().item<bool>(), $"{name} is equal for different seeds");
            }
        }
    }

    [Fact]
    public void Input_statistics_are_applied_inside_the_model()
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 1);
        using Tensor x = randn(1, 2, 17, 32);
        using Tensor plain = model.forward(x);
        model.InputStatistics = new ChannelStatistics([10.0, -2.0], [4.0, 0.5]);
        using Tensor shifted = x * tensor(new float[] { 4f, 0.5f }).view(1, 2, 1, 1) + tensor(new float[] { 10f, -2f }).view(1, 2, 1, 1);
        using Tensor y = model.forward(shifted);
        Assert.True(y.allclose(plain, rtol: 1e-4, atol: 1e-5));
        Assert.Equal([10.0, -2.0], model.InputStatistics.Mean);
    }

    [Fact]
    public void Regression_and_depth_outputs_decode_through_the_target_statistics()
    {
        using SphereModel regression = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Regression, 1));
        regression.TargetStatistics = new ChannelStatistics([1000.0], [300.0]);
        using Tensor raw = full(1, 1, 17, 32, 0.5f);
        Assert.Equal(1150f, regression.ToPhysical(raw).mean().item<float>(), 2);

        using SphereModel depth = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Depth, 1));
        depth.TargetStatistics = new ChannelStatistics([Math.Log(2.0)], [1.0]);
        Assert.Equal(2 * Math.E, depth.ToPhysical(full(1, 1, 17, 32, 1f)).mean().item<float>(), 3);

        using SphereModel segmentation = SphereModelFactory.Create(SyntheticSpheres.TinyConfig());
        Assert.Throws<InvalidOperationException>(() => segmentation.TargetStatistics = ChannelStatistics.Identity(2));
        using Tensor probabilities = segmentation.ToPhysical(randn(1, 2, 17, 32));
        Assert.True(probabilities.sum(1).allclose(ones(1, 17, 32), atol: 1e-6));
    }

    [Fact]
    public void Bad_inputs_name_the_expected_shape_dtype_or_device()
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig());
        Assert.Contains("[batch, 2, 17, 32]", Assert.Throws<ArgumentException>(() => model.forward(randn(1, 3, 17, 32))).Message, StringComparison.Ordinal);
        Assert.Contains("[batch, 2, 17, 32]", Assert.Throws<ArgumentException>(() => model.forward(randn(1, 2, 16, 32))).Message, StringComparison.Ordinal);
        Assert.Contains("[batch, 2, 17, 32]", Assert.Throws<ArgumentException>(() => model.forward(randn(2, 17, 32))).Message, StringComparison.Ordinal);
        Assert.Contains("float64", Assert.Throws<ArgumentException>(() => model.forward(randn([1, 2, 17, 32], float64))).Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("floating point", Assert.Throws<ArgumentException>(() => model.forward(zeros([1, 2, 17, 32], int64))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => model.InputStatistics = new ChannelStatistics([0.0], [1.0]));
        Assert.Throws<ArgumentException>(() => new ChannelStatistics([0.0, 1.0], [1.0, 0.0]));
    }

    [Fact]
    public void Models_follow_their_parameters_dtype_and_device()
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 2);
        using Tensor x = randn(1, 2, 17, 32);
        using Tensor y32 = model.forward(x);
        model.to(float64);
        using Tensor y64 = model.forward(x.to(float64));
        Assert.Equal(ScalarType.Float64, y64.dtype);
        Assert.True(y64.to(float32).allclose(y32, rtol: 1e-4, atol: 1e-4));
        Assert.Equal(ScalarType.Float64, model.state_dict()["input_mean"].dtype);

        if (cuda.is_available())
        {
            model.to(float32).to(CUDA);
            using Tensor onGpu = model.forward(x.to(CUDA));
            Assert.True(onGpu.cpu().allclose(y32, rtol: 1e-3, atol: 1e-3));
        }
    }

    [Fact]
    public void The_isotropic_disco_unet_commutes_with_rotations_about_the_pole_by_whole_coarse_steps()
    {
        ModelConfig config = SyntheticSpheres.TinyConfig() with { Channels = [4, 8, 8], Blocks = [1, 1, 1] };
        using SphereModel model = SphereModelFactory.Create(config, 5);
        using Tensor x = randn(1, 2, 17, 32);
        using Tensor y = model.forward(x);

        // Three levels: 32 → 16 → 8 columns, so a roll by 4 fine columns is a whole step on every level.
        using Tensor rolled = model.forward(roll(x, 4, -1));
        double error = (rolled - roll(y, 4, -1)).abs().max().item<float>() / y.abs().max().item<float>();
        Assert.True(error < 1e-5, $"relative error {error}");
    }

    [Fact]
    public void Group_norm_standardises_each_group_under_the_quadrature_not_the_pixel_count()
    {
        SphereGrid grid = SyntheticSpheres.Grid;
        using Tensor a = tensor(grid.RowAreas().Select(v => (float)v).ToArray()).view(1, 1, 1, 17, 1);
        using Tensor x = randn(3, 4, 17, 32) * 5 + 2;

        using SphereGroupNorm centred = new("n", 4, 2, grid, FeatureNormalization.MeanAndVariance, areaWeighted: true);
        using Tensor grouped = centred.forward(x).view(3, 2, 2, 17, 32);
        using Tensor mean = (grouped * a).sum([2, 3, 4]) / (a.sum() * 2 * 32);
        using Tensor variance = ((grouped - mean.view(3, 2, 1, 1, 1)).square() * a).sum([2, 3, 4]) / (a.sum() * 2 * 32);
        Assert.True(mean.abs().max().item<float>() < 1e-5);
        Assert.True((variance - 1).abs().max().item<float>() < 1e-3);

        // Root-mean-square normalisation: E_a[y²] = 1 per group, and signs are kept.
        using SphereGroupNorm rms = new("r", 4, 2, grid, FeatureNormalization.RootMeanSquare, areaWeighted: true);
        using Tensor y = rms.forward(x);
        using Tensor meanSquare = (y.view(3, 2, 2, 17, 32).square() * a).sum([2, 3, 4]) / (a.sum() * 2 * 32);
        Assert.True((meanSquare - 1).abs().max().item<float>() < 1e-3);
        Assert.True(y.sign().equal(x.sign()).all().item<bool>());

        // A field that is large only in the polar rows barely moves the area-weighted statistics, but dominates the
        // pixel-weighted ones of the planar baseline.
        using Tensor polar = zeros(1, 1, 17, 32);
        polar[.., .., 0, ..] = tensor(100f);
        polar[.., .., 16, ..] = tensor(100f);
        using SphereGroupNorm sphere = new("s", 1, 1, grid, FeatureNormalization.MeanAndVariance, areaWeighted: true);
        using SphereGroupNorm pixels = new("p", 1, 1, grid, FeatureNormalization.MeanAndVariance, areaWeighted: false);
        float onSphere = sphere.forward(polar)[0, 0, 8, 0].item<float>();
        float onPixels = pixels.forward(polar)[0, 0, 8, 0].item<float>();
        Assert.True(Math.Abs(onSphere) < 0.1f, $"equator value {onSphere}: the polar rows' tiny area should barely shift the mean");
        Assert.True(Math.Abs(onPixels) > 0.3f, $"equator value {onPixels}: pixel averages count the polar rows as 2/17 of the globe");
    }
}

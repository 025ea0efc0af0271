using Disco.Geo.Grids;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Models;

namespace Disco.Geo.Sphere.Tests.Models;

public class ModelConfigTests
{
    [Fact]
    public void The_pyramid_of_a_one_degree_equiangular_grid_keeps_the_poles_and_halves_longitudes()
    {
        IReadOnlyList<SphereGrid> grids = GridPyramid.Build(SphereGrid.Create(GridKind.Equiangular, 181, 360), 4);
        Assert.Equal([(181, 360), (91, 180), (46, 90), (23, 45)], grids.Select(g => (g.NLat, g.NLon)));
        Assert.All(grids, g => Assert.Equal(-180.0, g.LonOriginDegrees));
    }

    [Fact]
    public void Grids_without_pole_rows_halve_nlat_and_pixel_centred_grids_keep_their_western_edge()
    {
        IReadOnlyList<SphereGrid> gauss = GridPyramid.Build(SphereGrid.Create(GridKind.LegendreGauss, 180, 360), 3);
        Assert.Equal([180, 90, 45], gauss.Select(g => g.NLat));

        IReadOnlyList<SphereGrid> pixels = GridPyramid.Build(SphereGrid.Create(GridKind.Equirectangular, 128, 256), 2);
        // Coarse pixel centres sit half a coarse pixel east of −180°: the raster's western edge is unchanged.
        Assert.Equal(-180 + 180.0 / 128, pixels[1].LonOriginDegrees, 12);
    }

    [Fact]
    public void A_grid_that_cannot_be_halved_is_rejected_with_the_level_named()
    {
        ModelConfig config = ModelConfig.Reference(ModelTask.Segmentation, 3, 2, SphereGrid.Create(GridKind.Equiangular, 181, 360)) with
        {
            Channels = [8, 8, 8, 8, 8],
            Blocks = [1, 1, 1, 1, 1],
        };
        ArgumentException e = Assert.Throws<ArgumentException>(config.Validate);
        Assert.Contains("Level 4", e.Message, StringComparison.Ordinal);
        Assert.Contains("nlon = 45 is odd", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_round_trip_preserves_every_field()
    {
        ModelConfig config = ModelConfig.Create(ModelTask.Regression, 4, 2, SphereGrid.Create(GridKind.LegendreGauss, 32, 64), levels: 3, baseChannels: 12, blocksPerLevel: 2) with
        {
            KernelShape = [3, 3],
            Basis = BasisType.Harmonic,
            CutoffRadians = 0.1,
            NormGroups = 4,
            Normalization = FeatureNormalization.MeanAndVariance,
        };
        string json = config.ToJson();
        ModelConfig back = ModelConfig.FromJson(json);
        Assert.Equal(config, back);
        Assert.Contains("\"architecture\": \"disco-unet\"", json, StringComparison.Ordinal);
        Assert.Contains("\"kind\": \"legendre-gauss\"", json, StringComparison.Ordinal);
        Assert.Contains("\"nlat\": 32", json, StringComparison.Ordinal);
        Assert.Contains("\"basis\": \"harmonic\"", json, StringComparison.Ordinal);
        Assert.Contains("\"normalization\": \"mean-and-variance\"", json, StringComparison.Ordinal);
        Assert.NotEqual(config, back with { Normalization = FeatureNormalization.RootMeanSquare });
    }

    public static IEnumerable<object[]> BadConfigs()
    {
        ModelConfig good = ModelConfig.Reference(ModelTask.Segmentation, 3, 2, SphereGrid.Create(GridKind.Equiangular, 33, 64));
        yield return [good with { OutputChannels = 1 }, "at least 2 classes"];
        yield return [good with { Task = ModelTask.Depth, OutputChannels = 2 }, "exactly 1 channel"];
        yield return [good with { InputChannels = 0 }, "input_channels"];
        yield return [good with { Blocks = [1, 1] }, "blocks"];
        yield return [good with { Channels = [] }, "channels"];
        yield return [good with { Channels = [16, 0, 8, 8] }, "channels"];
        yield return [good with { CutoffRadians = -0.1 }, "cutoff_radians"];
        yield return [good with { CutoffRadians = 1.0 }, "cutoff_radians"];
        yield return [good with { KernelShape = [0] }, "kernel_shape"];
        yield return [good with { NormGroups = 0 }, "norm_groups"];
        yield return [good with { Grid = new GridSpec(GridKind.Equiangular, 1, 64, -180) }, "nlat"];
    }

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void Invalid_configurations_are_rejected_with_the_field_named(ModelConfig config, string expected)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(config.Validate);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SphereModelFactory.Create(config));
    }

    [Fact]
    public void Malformed_json_gives_a_clear_error()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => ModelConfig.FromJson("{\"architecture\": \"resnet\"}"));
        Assert.Contains("not valid JSON for a ModelConfig", e.Message, StringComparison.Ordinal);
    }
}

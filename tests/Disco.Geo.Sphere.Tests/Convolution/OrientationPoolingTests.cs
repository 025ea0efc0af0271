using Disco.Geo.Grids;
using Disco.Geo.Sphere.Convolution;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Convolution;

public class OrientationPoolingTests
{
    private static readonly SphereGrid Fine = SphereGrid.Create(GridKind.Equiangular, 17, 32);
    private static readonly SphereGrid Coarse = SphereGrid.Create(GridKind.Equiangular, 9, 16);

    [Theory]
    [InlineData(3, 4)]
    [InlineData(5, 4)]
    [InlineData(4, 3)]
    [InlineData(3, 6)]
    public void A_sector_rotation_permutes_the_basis_functions(int rings, int sectors)
    {
        FilterBasis basis = FilterBasis.Create(BasisType.PiecewiseLinear, rings, sectors);
        Assert.Equal(sectors, basis.DiscreteRotations);
        int k = basis.KernelSize;
        double[] here = new double[k], there = new double[k];
        bool[] inHere = new bool[k], inThere = new bool[k];
        double sector = 2 * Math.PI / sectors;
        for (int steps = 0; steps < sectors; steps++)
        {
            int[] permutation = basis.RotationPermutation(steps);
            Assert.Equal(Enumerable.Range(0, k), permutation.Order());
            for (double theta = 0.05; theta < 1; theta += 0.11)
            {
                for (double phi = -Math.PI; phi < Math.PI; phi += 0.37)
                {
                    // Function perm[j] seen from an angle steps sectors further on is function j seen from here.
                    double turned = Math.IEEERemainder(phi + (steps * sector), 2 * Math.PI);
                    basis.Evaluate(theta, phi, 1.0, here, inHere);
                    basis.Evaluate(theta, turned, 1.0, there, inThere);
                    for (int j = 0; j < k; j++)
                    {
                        Assert.True(Math.Abs(here[j] - there[permutation[j]]) < 1e-12, $"({rings},{sectors}) steps {steps}, k {j}, theta {theta}, phi {phi}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Bases_without_sectors_have_only_the_identity_and_refuse_pooling()
    {
        Assert.Equal(1, FilterBasis.Create(BasisType.PiecewiseLinear, 3).DiscreteRotations);
        Assert.Equal(1, FilterBasis.Create(BasisType.Zernike, 3).DiscreteRotations);
        ArgumentException e = Assert.Throws<ArgumentException>(
            () => new DiscoConvS2("iso", 2, 2, Fine, Fine, new DiscoConvOptions { KernelShape = [3], OrientationPooling = true }));
        Assert.Contains("orientation pooling", e.Message, StringComparison.Ordinal);
    }

    public static IEnumerable<object[]> Layers() =>
    [
        ["same grid", 1],
        ["down", 1],
        ["up", 1],
        ["same grid", 2],
    ];

    [Theory]
    [MemberData(nameof(Layers))]
    public void A_pooled_layer_is_the_largest_response_over_the_rotated_filters(string kind, int groups)
    {
        DiscoConvOptions plain = new() { KernelShape = [3, 4], Groups = groups };
        using DiscoConvLayer pooled = Create(kind, plain with { OrientationPooling = true });
        using DiscoConvLayer reference = Create(kind, plain);
        pooled.to(float64);
        reference.to(float64);
        using Tensor x = randn([2, 4, pooled.InGrid.NLat, pooled.InGrid.NLon], dtype: float64);
        using (no_grad())
        {
            pooled.BiasParameter!.copy_(randn(6, dtype: float64));
            reference.BiasParameter!.copy_(pooled.BiasParameter);
            using Tensor actual = pooled.forward(x);
            Tensor? expected = null;
            for (int r = 0; r < 4; r++)
            {
                using Tensor index = tensor(pooled.Basis.RotationPermutation(r).Select(k => (long)k).ToArray());
                reference.Weight.copy_(pooled.Weight.index_select(2, index));
                Tensor response = reference.forward(x);
                expected = expected is null ? response : maximum(expected, response);
            }

            Assert.Equal(new long[] { 2, 6, pooled.OutGrid.NLat, pooled.OutGrid.NLon }, actual.shape);
            Assert.True(actual.allclose(expected!, rtol: 1e-12, atol: 1e-12), $"{kind}, groups {groups}");
            expected!.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Rotating_a_pooled_filter_by_a_sector_leaves_the_output_unchanged(string kind, int groups)
    {
        using DiscoConvLayer layer = Create(kind, new DiscoConvOptions { KernelShape = [3, 4], Groups = groups, OrientationPooling = true });
        using Tensor x = randn(1, 4, layer.InGrid.NLat, layer.InGrid.NLon);
        using (no_grad())
        {
            using Tensor before = layer.forward(x);
            using Tensor index = tensor(layer.Basis.RotationPermutation(1).Select(k => (long)k).ToArray());
            using Tensor turned = layer.Weight.index_select(2, index);
            layer.Weight.copy_(turned);
            using Tensor after = layer.forward(x);
            Assert.True(before.eq(after).all().item<bool>(), $"{kind}, groups {groups}");
        }
    }

    [Fact]
    public void Pooled_gradients_match_finite_differences()
    {
        using DiscoConvS2 layer = new("g", 2, 3, Fine, Coarse, new DiscoConvOptions { KernelShape = [3, 4], OrientationPooling = true });
        layer.to(float64);
        using Tensor x = randn([1, 2, 17, 32], dtype: float64, requires_grad: true);
        using Tensor probe = randn([1, 3, 9, 16], dtype: float64);
        Tensor Loss() => (layer.forward(x) * probe).sum();
        using (Tensor loss = Loss())
        {
            loss.backward();
        }

        double h = 1e-6;
        foreach ((int o, int c, int k) in new[] { (0, 0, 0), (1, 1, 2), (2, 0, 4) })
        {
            double analytic = layer.Weight.grad!.select(0, o).select(0, c).select(0, k).item<double>();
            using (no_grad())
            {
                layer.Weight[o, c, k] += h;
                double plus = Loss().item<double>();
                layer.Weight[o, c, k] -= 2 * h;
                double minus = Loss().item<double>();
                layer.Weight[o, c, k] += h;
                Assert.Equal((plus - minus) / (2 * h), analytic, 1e-6);
            }
        }

        double inputAnalytic = x.grad!.select(0, 0).select(0, 1).select(0, 5).select(0, 7).item<double>();
        using (no_grad())
        {
            x[0, 1, 5, 7] += h;
            double plus = Loss().item<double>();
            x[0, 1, 5, 7] -= 2 * h;
            double minus = Loss().item<double>();
            x[0, 1, 5, 7] += h;
            Assert.Equal((plus - minus) / (2 * h), inputAnalytic, 1e-6);
        }
    }

    [Fact]
    public void The_model_configuration_carries_pooling_and_refuses_it_without_sectors()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 33, 64);
        ModelConfig config = ModelConfig.Create(ModelTask.Segmentation, 3, 2, grid, levels: 2, baseChannels: 4) with { OrientationPooling = true };
        ModelConfig read = ModelConfig.FromJson(config.ToJson());
        Assert.True(read.OrientationPooling);
        Assert.Equal(config, read);
        Assert.NotEqual(config, config with { OrientationPooling = false });

        using SphereModel model = SphereModelFactory.Create(config);
        using Tensor x = randn(1, 3, 33, 64);
        using Tensor y = model.forward(x);
        Assert.Equal(new long[] { 1, 2, 33, 64 }, y.shape);

        ArgumentException e = Assert.Throws<ArgumentException>(() => (config with { KernelShape = [3] }).Validate());
        Assert.Equal(nameof(ModelConfig.OrientationPooling), e.ParamName);
    }

    private static DiscoConvLayer Create(string kind, DiscoConvOptions options) => kind switch
    {
        "same grid" => new DiscoConvS2("same", 4, 6, Fine, Fine, options),
        "down" => new DiscoConvS2("down", 4, 6, Fine, Coarse, options),
        _ => new DiscoConvTransposeS2("up", 4, 6, Coarse, Fine, options),
    };
}

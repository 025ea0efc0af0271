using Disco.Geo.Grids;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Rotations;
using Disco.Geo.Sphere.Tests.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Inference;

public class CameraLevellerTests
{
    private const int Up = 1;
    private const int Down = 0;

    private static double Degrees((double X, double Y, double Z) a, (double X, double Y, double Z) b) =>
        Math.Acos(Math.Clamp(a.X * b.X + a.Y * b.Y + a.Z * b.Z, -1, 1)) * (180 / Math.PI);

    private static (double X, double Y, double Z) Unit(double x, double y, double z)
    {
        double n = Math.Sqrt(x * x + y * y + z * z);
        return (x / n, y / n, z / n);
    }

    /// <summary>Probabilities [1, 3, NLat, NLon]: class Up within 50° of u, class Down within 50° of −u, class 2 elsewhere.</summary>
    private static Tensor Caps(SphereGrid grid, (double X, double Y, double Z) u)
    {
        float[] p = new float[3 * grid.NLat * grid.NLon];
        int nodes = grid.NLat * grid.NLon;
        double cos50 = Math.Cos(50 * Math.PI / 180);
        for (int i = 0; i < grid.NLat; i++)
        {
            for (int j = 0; j < grid.NLon; j++)
            {
                (double x, double y, double z) = Rotation.ToVector(grid.Colatitude(i), grid.LongitudeDegrees(j) * Math.PI / 180);
                double c = x * u.X + y * u.Y + z * u.Z;
                int k = c > cos50 ? Up : c < -cos50 ? Down : 2;
                p[k * nodes + i * grid.NLon + j] = 1;
            }
        }

        return tensor(p, [1, 3, grid.NLat, grid.NLon]);
    }

    [Theory]
    [InlineData(0, 0, 1)]
    [InlineData(0, 0, -1)]
    [InlineData(1, 0, 0)]
    [InlineData(0.3, -0.5, 0.8)]
    [InlineData(-0.2, 0.1, -0.97)]
    [InlineData(0, 1e-14, -1)]
    public void Levelling_takes_up_to_north_by_the_shortest_rotation(double x, double y, double z)
    {
        (double X, double Y, double Z) up = Unit(x, y, z);
        Rotation level = CameraLeveller.RotationToUpright(up);
        (double X, double Y, double Z) north = level.Apply(up.X, up.Y, up.Z);
        Assert.True(Degrees(north, (0, 0, 1)) < 1e-6, $"{north}");

        // Shortest: it turns by the angle from up to north and no further (any other rotation taking up to north adds a
        // turn about the pole).
        Assert.Equal(Degrees(up, (0, 0, 1)), level.Angle * 180 / Math.PI, 6);
    }

    [Theory]
    [InlineData(0, 0, 1)]
    [InlineData(0.6, 0.0, 0.8)]
    [InlineData(-0.3, 0.7, -0.2)]
    [InlineData(0, 0, -1)]
    public void The_dipole_of_the_up_and_down_classes_points_up(double x, double y, double z)
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equirectangular, 64, 128);
        (double X, double Y, double Z) u = Unit(x, y, z);
        using Tensor p = Caps(grid, u);
        (double X, double Y, double Z) estimate = CameraLeveller.EstimateUp(p, grid, Up, Down)[0];
        Assert.True(Degrees(estimate, u) < 1.5, $"{estimate} against {u}: {Degrees(estimate, u):F2}°");

        // Swapping the classes turns it around; equal classes have no dipole and give north.
        Assert.True(Degrees(CameraLeveller.EstimateUp(p, grid, Down, Up)[0], (-u.X, -u.Y, -u.Z)) < 1.5);
        using Tensor flat = ones(1, 3, grid.NLat, grid.NLon);
        Assert.Equal((0.0, 0.0, 1.0), CameraLeveller.EstimateUp(flat, grid, Up, Down)[0]);
    }

    [Fact]
    public void Only_an_isotropic_DISCO_segmentation_model_can_level()
    {
        using SphereModel directional = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Segmentation, 3) with { KernelShape = [3, 3] }, 1);
        using SphereModel planar = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Segmentation, 3, ModelArchitecture.PlanarUnet), 1);
        using SphereModel regression = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Regression, 1) with { KernelShape = [3] }, 1);
        using SphereModel isotropic = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Segmentation, 3) with { KernelShape = [3] }, 1);
        foreach (SphereModel model in new[] { directional, planar, regression })
        {
            ArgumentException e = Assert.Throws<ArgumentException>(() => new CameraLeveller(model, Up, Down));
            Assert.Contains("isotropic", e.Message, StringComparison.Ordinal);
        }

        Assert.Throws<ArgumentException>(() => new CameraLeveller(isotropic, 1, 1));
        Assert.Throws<ArgumentException>(() => new CameraLeveller(isotropic, 0, 3));
        Assert.Equal(Up, new CameraLeveller(isotropic, Up, Down).UpClass);
    }

    [Fact]
    public void A_levelled_directional_model_follows_a_camera_turned_upside_down()
    {
        // The north–south flip turns the camera upside down and maps nodes to nodes. An isotropic model follows it
        // exactly, so the leveller's up flips with the input; what is left after levelling is a turn about the pole,
        // which the directional model follows up to resampling. Unlevelled, a directional model does not follow it.
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 33, 64);
        ModelConfig tiny = ModelConfig.Create(ModelTask.Segmentation, 2, 3, grid, levels: 2, baseChannels: 8);
        using SphereModel isotropic = SphereModelFactory.Create(tiny with { KernelShape = [3] }, 3);
        using SphereModel directional = SphereModelFactory.Create(tiny with { KernelShape = [3, 4] }, 4);
        CameraLeveller leveller = new(isotropic, Up, Down);

        // A smooth input (degree ≤ 2 in x, y, z) tilted well away from north, so the levelling rotation is large.
        float[] values = new float[2 * grid.NLat * grid.NLon];
        int nodes = grid.NLat * grid.NLon;
        for (int i = 0; i < grid.NLat; i++)
        {
            for (int j = 0; j < grid.NLon; j++)
            {
                (double x, double y, double z) = Rotation.ToVector(grid.Colatitude(i), grid.LongitudeDegrees(j) * Math.PI / 180);
                values[i * grid.NLon + j] = (float)(0.8 * x + 0.5 * z + 0.6 * x * y);
                values[nodes + i * grid.NLon + j] = (float)(z * z - 0.4 * y + 0.3 * x * z);
            }
        }

        using Tensor input = tensor(values, [1, 2, grid.NLat, grid.NLon]);
        GridSymmetry flip = new(true, 0);
        using Tensor flipped = flip.Apply(input, grid);

        (double X, double Y, double Z) up = leveller.EstimateUp(input)[0];
        (double X, double Y, double Z) upOfFlipped = leveller.EstimateUp(flipped)[0];
        Rotation flipRotation = flip.ToRotation(grid);
        Assert.True(Degrees(upOfFlipped, flipRotation.Apply(up.X, up.Y, up.Z)) < 1e-3, "an isotropic model follows the flip exactly");
        Assert.True(Degrees(up, (0, 0, 1)) > 20, $"the estimate should be tilted for this input: {up}");

        SpherePredictor plain = new(directional);
        using Tensor plainError = (plain.Predict(flipped) - flip.Apply(plain.Predict(input), grid)).abs().mean();
        using Tensor levelled = leveller.Predict(directional, input).Physical;
        using Tensor levelledOfFlipped = leveller.Predict(directional, flipped).Physical;
        using Tensor levelledError = (levelledOfFlipped - flip.Apply(levelled, grid)).abs().mean();
        double p = plainError.item<float>(), l = levelledError.item<float>();
        Assert.True(l < 0.25 * p, $"levelled error {l:E2} against unlevelled {p:E2}");
    }

    [Fact]
    public void Levelling_does_not_combine_with_rotation_averaging_and_refinements_need_the_levellers_classes()
    {
        using SphereModel isotropic = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Segmentation, 3) with { KernelShape = [3] }, 1);
        using SphereModel regression = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Regression, 1), 2);
        CameraLeveller leveller = new(isotropic, Up, Down);
        Assert.Throws<ArgumentException>(() => new PredictionOptions { Leveller = leveller, RotationAveraging = 4 }.Validate());
        new PredictionOptions { Leveller = leveller, RotationAveraging = 1 }.Validate();
        InMemorySphereDataset one = new(SyntheticSpheres.Grid, [SphereSample.ForSegmentation(new float[2 * 17 * 32], new int[17 * 32], 17, 32)]);
        Assert.Contains("do not combine", Assert.Throws<ArgumentException>(
            () => SphereEvaluator.Evaluate(isotropic, one, new EvaluationOptions { Leveller = leveller, RotationAveraging = 2 })).Message, StringComparison.Ordinal);
        Assert.Contains("miou", SphereEvaluator.Evaluate(isotropic, one, new EvaluationOptions { Leveller = leveller }).Keys);

        using Tensor input = randn(1, 2, 17, 32, generator: new Generator(3));
        CameraLeveller refining = new(isotropic, Up, Down) { Refinements = 1 };
        ArgumentException e = Assert.Throws<ArgumentException>(() => refining.Predict(regression, input));
        Assert.Contains("leveller's classes", e.Message, StringComparison.Ordinal);
        using Tensor levelled = leveller.Predict(regression, input).Physical;
        Assert.Equal([1, 1, 17, 32], levelled.shape);
    }

    [Fact]
    public void Nodes_without_data_do_not_pull_the_estimate()
    {
        // Ceiling around the zenith, floor around the nadir, and filler the model took for ceiling on a masked band
        // of the southern hemisphere (like a photo's transparent region).
        SphereGrid grid = SphereGrid.Create(GridKind.Equirectangular, 64, 128);
        using Tensor caps = Caps(grid, (0, 0, 1));
        float[] p = caps.data<float>().ToArray();
        int nodes = grid.NLat * grid.NLon;
        byte[] valid = new byte[nodes];
        for (int i = 0; i < grid.NLat; i++)
        {
            for (int j = 0; j < grid.NLon; j++)
            {
                bool filler = grid.LatitudeDegrees(i) is > -40 and < -10 && j < grid.NLon / 2;
                valid[i * grid.NLon + j] = filler ? (byte)0 : (byte)1;
                if (filler)
                {
                    p[(Up * nodes) + (i * grid.NLon) + j] = 1;
                    p[(2 * nodes) + (i * grid.NLon) + j] = 0;
                }
            }
        }

        using Tensor probabilities = tensor(p, [1, 3, grid.NLat, grid.NLon]);
        Assert.True(Degrees(CameraLeveller.EstimateUp(probabilities, grid, Up, Down)[0], (0, 0, 1)) > 5, "the filler should pull the unmasked estimate");
        Assert.True(Degrees(CameraLeveller.EstimateUp(probabilities, grid, Up, Down, valid)[0], (0, 0, 1)) < 1.5);
        Assert.Throws<ArgumentException>(() => CameraLeveller.EstimateUp(probabilities, grid, Up, Down, new byte[5]));
    }

    [Fact]
    public void A_leveller_in_double_precision_levels_a_single_precision_model()
    {
        using SphereModel isotropic = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Segmentation, 3) with { KernelShape = [3] }, 1);
        isotropic.to(ScalarType.Float64);
        using SphereModel directional = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Segmentation, 3) with { KernelShape = [3, 3] }, 2);
        using Tensor input = randn(1, 2, 17, 32, generator: new Generator(4));
        (Tensor physical, _) = new CameraLeveller(isotropic, Up, Down) { Refinements = 1 }.Predict(directional, input);
        using (physical)
        {
            Assert.Equal(ScalarType.Float32, physical.dtype);
            Assert.True(physical.sum(1).allclose(ones(1, 17, 32), rtol: 0, atol: 1e-5));
        }
    }
}

using Disco.Geo.Grids;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Rotations;
using Disco.Geo.Sphere.Tests.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Inference;

public class TestTimeRotationTests
{
    [Fact]
    public void Exact_first_takes_the_identity_and_spread_roll_phases_then_the_same_after_the_flip_then_random_rotations()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 17, 32);
        Assert.Equal(
            [new GridSymmetry(false, 0), new GridSymmetry(false, 17), new GridSymmetry(true, 0), new GridSymmetry(true, 17)],
            TestTimeRotations.ExactSymmetries(grid, 4, columnStride: 2));

        // Stride 4: phases 0, 1, 2, 3 (mod 4), spread around the globe (8 coarse columns, 2 per phase), rolls before flips.
        IReadOnlyList<GridSymmetry> eight = TestTimeRotations.ExactSymmetries(grid, 8, columnStride: 4);
        Assert.Equal([0, 9, 18, 27, 0, 9, 18, 27], eight.Select(s => s.RollSteps));
        Assert.Equal([false, false, false, false, true, true, true, true], eight.Select(s => s.Flip));
        Assert.Equal([0, 18], TestTimeRotations.ExactSymmetries(grid, 2, columnStride: 4).Select(s => s.RollSteps));

        // Beyond 2s exact ones: random rotations, the same stream as before for the k-th.
        IReadOnlyList<Rotation> plan = TestTimeRotations.Plan(grid, 6, columnStride: 2, seed: 9, RotationAveragingScheme.ExactFirst);
        Assert.Equal(6, plan.Count);
        Assert.All(plan.Take(4), r => Assert.True(GridSymmetry.TryFind(r, grid, out _)));
        Assert.All(plan.Skip(4), r => Assert.False(GridSymmetry.TryFind(r, grid, out _)));
        Rotation fifth = Rotation.Random(new SeededRandom(SeededRandom.Mix(9, SeededRandom.TestTimeStream, 4)));
        Assert.Equal(fifth.ToQuaternion(), plan[4].ToQuaternion());

        // Without a symmetric longitude origin: rolls only.
        SphereGrid shifted = SphereGrid.Create(GridKind.Equiangular, 17, 32, -179);
        Assert.All(TestTimeRotations.ExactSymmetries(shifted, 4, 4), s => Assert.False(s.Flip));
        Assert.Equal(4, TestTimeRotations.ExactSymmetries(shifted, 4, 4).Distinct().Count());
    }

    [Theory]
    [InlineData(GridKind.Equiangular)]
    [InlineData(GridKind.LegendreGauss)]
    [InlineData(GridKind.Equirectangular)]
    public void Averaging_over_exact_rotations_of_an_exactly_equivariant_map_returns_that_map(GridKind kind)
    {
        SphereGrid grid = SphereGrid.Create(kind, 16, 32);
        using Tensor weights = tensor(new float[] { 1.5f, -0.7f, 0.2f, 2.0f, 0.4f, -1.1f }, [3, 2]);

        // A per-node channel mixing: commutes with every permutation of the nodes, hence with every exact rotation.
        Tensor Forward(Tensor x) => einsum("oc,bcij->boij", weights, x).tanh();
        Tensor Physical(Tensor raw) => nn.functional.softmax(raw, 1);
        using Tensor input = randn(2, 2, grid.NLat, grid.NLon, generator: new Generator(5));
        using Tensor plain = Physical(Forward(input));
        foreach (int count in new[] { 2, 3, 8 })
        {
            IReadOnlyList<Rotation> rotations = TestTimeRotations.Plan(grid, count, columnStride: 4, seed: 1, RotationAveragingScheme.ExactFirst);
            using Tensor averaged = TestTimeRotations.Average(input, grid, rotations, RotationAveragingScheme.ExactFirst, Forward, Physical);
            Assert.True(averaged.allclose(plain, rtol: 0, atol: 1e-6), $"{kind}, N = {count}: {(averaged - plain).abs().max().item<float>()}");
        }

        // The old scheme's random rotations with bilinear resampling there and back blur the same map.
        IReadOnlyList<Rotation> old = TestTimeRotations.Plan(grid, 8, columnStride: 4, seed: 1, RotationAveragingScheme.RandomBilinear);
        using Tensor blurred = TestTimeRotations.Average(input, grid, old, RotationAveragingScheme.RandomBilinear, Forward, Physical);
        Assert.True((blurred - plain).abs().max().item<float>() > 1e-2);
    }

    [Fact]
    public void Exact_first_averaging_of_a_model_is_the_mean_over_its_exact_rotations_moved_back()
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Regression, 1) with { KernelShape = [3, 3] }, 2);
        using Tensor x = randn(1, 2, 17, 32);
        SpherePredictor predictor = new(model);
        Assert.Equal(2, predictor.ColumnStride);
        using Tensor plain = predictor.Predict(x);
        using Tensor one = predictor.Predict(x, rotationAveraging: 1);
        Assert.True(plain.equal(one).all().item<bool>());

        // N = 4 with s = 2: the identity, a roll by 17 columns, and both after the flip.
        using Tensor expected = zeros_like(plain);
        foreach (GridSymmetry symmetry in TestTimeRotations.ExactSymmetries(SyntheticSpheres.Grid, 4, 2))
        {
            GridRotation there = GridRotation.Exactly(SyntheticSpheres.Grid, symmetry);
            GridRotation back = GridRotation.Exactly(SyntheticSpheres.Grid, symmetry.Inverse(SyntheticSpheres.Grid));
            using IDisposable noGrad = no_grad();
            using Tensor moved = back.Interpolate(model.ToPhysical(model.forward(there.Interpolate(x))));
            expected.add_(moved / 4);
        }

        using Tensor averaged = predictor.Predict(x, rotationAveraging: 4, seed: 9);
        Assert.True(averaged.allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.False(averaged.requires_grad);

        // An anisotropic kernel is not flip-invariant, so the flip changes the output: the average is not the plain map.
        Assert.False(averaged.allclose(plain, rtol: 1e-4, atol: 1e-4));
    }
}

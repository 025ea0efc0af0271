using Disco.Geo.Grids;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Rotations;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Data;

public class DataTests
{
    private static readonly SphereGrid Grid = SyntheticSpheres.Grid;

    [Fact]
    public void Samples_reject_bad_layouts_and_non_finite_inputs_with_the_position()
    {
        int nodes = 17 * 32;
        Assert.Contains("not a whole number", Assert.Throws<ArgumentException>(() => SphereSample.Unlabeled(new float[nodes + 1], 17, 32)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SphereSample.Unlabeled([], 17, 32));
        float[] input = new float[2 * nodes];
        input[nodes + 3 * 32 + 5] = float.NaN;
        string message = Assert.Throws<ArgumentException>(() => SphereSample.Unlabeled(input, 17, 32)).Message;
        Assert.Contains("band 1", message, StringComparison.Ordinal);
        Assert.Contains("row 3, column 5", message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SphereSample.ForSegmentation(new float[nodes], new int[nodes - 1], 17, 32));
        Assert.Throws<ArgumentException>(() => SphereSample.ForRegression(new float[nodes], new float[3], 17, 32));
        Assert.Throws<ArgumentException>(() => SphereSample.ForRegression(new float[nodes], new float[nodes], 17, 32, new byte[4]));
    }

    [Fact]
    public void Datasets_reject_empty_sets_and_mixed_samples()
    {
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => new InMemorySphereDataset(Grid, [])).Message, StringComparison.Ordinal);
        SphereSample twoBands = SphereSample.Unlabeled(new float[2 * 17 * 32], 17, 32);
        SphereSample oneBand = SphereSample.Unlabeled(new float[17 * 32], 17, 32);
        Assert.Contains("input bands", Assert.Throws<ArgumentException>(() => new InMemorySphereDataset(Grid, [twoBands, oneBand])).Message, StringComparison.Ordinal);
        Assert.Contains("resample", Assert.Throws<ArgumentException>(() => new InMemorySphereDataset(SphereGrid.Create(GridKind.Equiangular, 9, 16), [twoBands])).Message, StringComparison.Ordinal);
        SphereSample labelled = SphereSample.ForSegmentation(new float[2 * 17 * 32], new int[17 * 32], 17, 32);
        Assert.Contains("kind of target", Assert.Throws<ArgumentException>(() => new InMemorySphereDataset(Grid, [twoBands, labelled])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new InMemorySphereDataset(Grid, [twoBands]).Get(1));
    }

    [Fact]
    public void Splits_are_disjoint_complete_and_reproducible()
    {
        InMemorySphereDataset data = SyntheticSpheres.Hemispheres(10, 1);
        (ISphereDataset train, ISphereDataset valid) = DatasetSplit.Random(data, 0.3, seed: 4);
        (ISphereDataset train2, ISphereDataset valid2) = DatasetSplit.Random(data, 0.3, seed: 4);
        int[] t = ((SubsetDataset)train).Indices.ToArray(), v = ((SubsetDataset)valid).Indices.ToArray();
        Assert.Equal(3, v.Length);
        Assert.Empty(t.Intersect(v));
        Assert.Equal(Enumerable.Range(0, 10), t.Concat(v).Order());
        Assert.Equal(v, ((SubsetDataset)valid2).Indices);
        Assert.Equal(t, ((SubsetDataset)train2).Indices);

        Assert.Contains("both", Assert.Throws<ArgumentException>(() => DatasetSplit.ByIndices(data, [0, 1, 2], [2, 3])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => DatasetSplit.ByIndices(data, [0, 10], [3]));
        Assert.Throws<ArgumentException>(() => DatasetSplit.Random(data, 1.0, 0));
        Assert.Throws<ArgumentException>(() => DatasetSplit.Random(SyntheticSpheres.Hemispheres(1, 1), 0.5, 0));
    }

    [Fact]
    public void Statistics_weight_nodes_by_area()
    {
        int nodes = 17 * 32;
        float[] input = new float[nodes];
        for (int p = 0; p < 32; p++)
        {
            input[p] = 1;
            input[16 * 32 + p] = 1;
        }

        float[] depth = Enumerable.Repeat(MathF.E, nodes).ToArray();
        depth[5] = float.NaN;
        InMemorySphereDataset data = new(Grid, [SphereSample.ForRegression(input, depth, 17, 32)]);
        ChannelStatistics inputs = DatasetStatistics.Inputs(data);
        double polar = (Grid.NodeArea(0) + Grid.NodeArea(16)) * 32 / (4 * Math.PI);
        Assert.Equal(polar, inputs.Mean[0], 9);
        Assert.Equal(Math.Sqrt(polar * (1 - polar)), inputs.Std[0], 9);

        // Log depth is constant (= 1): a constant band gets std 1, the invalid node is skipped.
        ChannelStatistics targets = DatasetStatistics.Targets(data, ModelTask.Depth);
        Assert.Equal(1.0, targets.Mean[0], 6);
        Assert.Equal(1.0, targets.Std[0]);

        // Class 1 covers the rows north of the equator (the equator row itself is class 0).
        double[] fractions = DatasetStatistics.ClassAreaFractions(SyntheticSpheres.Hemispheres(2, 3), 2);
        Assert.Equal(Enumerable.Range(0, 8).Sum(i => Grid.NodeArea(i) * 32) / (4 * Math.PI), fractions[1], 9);
        Assert.Equal(1.0, fractions.Sum(), 12);
    }

    [Fact]
    public void A_label_moves_with_its_input_under_a_random_rotation()
    {
        // Input: the z coordinate of each node (smooth); label: z > 0.3; mask: x > 0.
        int nodes = 17 * 32;
        float[] input = new float[nodes];
        int[] labels = new int[nodes];
        byte[] mask = new byte[nodes];
        for (int i = 0; i < 17; i++)
        {
            for (int p = 0; p < 32; p++)
            {
                (double x, _, double z) = Rotation.ToVector(Grid.Colatitude(i), Grid.LongitudeDegrees(p) * Math.PI / 180);
                input[i * 32 + p] = (float)z;
                labels[i * 32 + p] = z > 0.3 ? 1 : 0;
                mask[i * 32 + p] = x > 0 ? (byte)1 : (byte)0;
            }
        }

        SphereSample sample = SphereSample.ForSegmentation(input, labels, 17, 32, mask);
        Rotation rotation = Rotation.FromEulerZyz(0.7, 1.1, -0.4);
        GridRotation gridRotation = GridRotation.Create(Grid, rotation);
        ModelConfig config = SyntheticSpheres.TinyConfig() with { InputChannels = 1 };
        using SphereBatch batch = SphereBatch.Create([sample], [0], config, CPU, [gridRotation]);

        // After rotation the input is z∘Rᵀ; the label must still be (input > 0.3) and the mask (x∘Rᵀ > 0), away from the edges.
        float[] rotatedInput = batch.Input.data<float>().ToArray();
        long[] rotatedLabels = batch.Classes!.data<long>().ToArray();
        float[] rotatedMask = batch.Mask.data<float>().ToArray();
        int checkedNodes = 0;
        for (int i = 0; i < 17; i++)
        {
            for (int p = 0; p < 32; p++)
            {
                (double x, double y, double z) = Rotation.ToVector(Grid.Colatitude(i), Grid.LongitudeDegrees(p) * Math.PI / 180);
                (double sx, _, double sz) = rotation.ApplyInverse(x, y, z);
                int n = i * 32 + p;
                Assert.True(Math.Abs(sz - rotatedInput[n]) < 0.02, $"node {n}: {rotatedInput[n]} vs z∘Rᵀ = {sz}");
                if (Math.Abs(sz - 0.3) > 0.2 && Math.Abs(sx) > 0.2)
                {
                    Assert.Equal(sz > 0.3 && sx > 0 ? 1L : 0L, rotatedLabels[n]);
                    Assert.Equal(sx > 0 ? 1f : 0f, rotatedMask[n]);
                    checkedNodes++;
                }
            }
        }

        Assert.True(checkedNodes > 200, $"only {checkedNodes} nodes checked");
    }

    [Fact]
    public void A_rotation_about_the_pole_by_whole_columns_is_an_exact_roll_of_input_label_and_mask()
    {
        InMemorySphereDataset data = SyntheticSpheres.Hemispheres(1, 2);
        GridRotation roll5 = GridRotation.Create(Grid, Rotation.AboutZ(2 * Math.PI * 5 / 32));
        Assert.Equal(5, roll5.RollSteps);
        using SphereBatch plain = SphereBatch.Create([data.Get(0)], [0], SyntheticSpheres.TinyConfig(), CPU);
        using SphereBatch rolled = SphereBatch.Create([data.Get(0)], [0], SyntheticSpheres.TinyConfig(), CPU, [roll5]);
        Assert.True(rolled.Input.equal(roll(plain.Input, 5, -1)).all().item<bool>());
        Assert.True(rolled.Classes!.equal(roll(plain.Classes!, 5, -1)).all().item<bool>());
    }

    [Fact]
    public void Batches_check_samples_against_the_model_and_neutralise_invalid_targets()
    {
        ModelConfig segmentation = SyntheticSpheres.TinyConfig();
        int nodes = 17 * 32;
        int[] labels = new int[nodes];
        labels[40] = 2;
        SphereSample bad = SphereSample.ForSegmentation(new float[2 * nodes], labels, 17, 32);
        string message = Assert.Throws<ArgumentException>(() => SphereBatch.Create([bad], [7], segmentation, CPU)).Message;
        Assert.Contains("Sample 7 has class id 2 at row 1, column 8", message, StringComparison.Ordinal);

        SphereSample unlabelled = SphereSample.Unlabeled(new float[2 * nodes], 17, 32);
        Assert.Contains("no class map", Assert.Throws<ArgumentException>(() => SphereBatch.Create([unlabelled], [0], segmentation, CPU)).Message, StringComparison.Ordinal);
        Assert.Contains("input bands", Assert.Throws<ArgumentException>(() => SphereBatch.Create([unlabelled], [0], segmentation with { InputChannels = 3 }, CPU)).Message, StringComparison.Ordinal);

        float[] depth = Enumerable.Repeat(2f, nodes).ToArray();
        depth[3] = float.NaN;
        depth[4] = -1;
        SphereSample holes = SphereSample.ForRegression(new float[2 * nodes], depth, 17, 32);
        using SphereBatch batch = SphereBatch.Create([holes], [0], SyntheticSpheres.TinyConfig(ModelTask.Depth, 1), CPU);
        Assert.Equal(nodes - 2, batch.Mask.sum().item<float>());
        Assert.True(batch.Values!.isfinite().all().item<bool>());
        Assert.Equal(1f, batch.Values![0, 0, 0, 3].item<float>());
    }

    [Fact]
    public void The_seeded_generator_is_deterministic_and_spreads_counters()
    {
        SeededRandom a = new(SeededRandom.Mix(5, 1, 2));
        SeededRandom b = new(SeededRandom.Mix(5, 1, 2));
        Assert.Equal(Enumerable.Range(0, 10).Select(_ => a.NextDouble()), Enumerable.Range(0, 10).Select(_ => b.NextDouble()));
        Assert.NotEqual(SeededRandom.Mix(5, 1, 2), SeededRandom.Mix(5, 2, 1));
        int[] permutation = SeededRandom.Permutation(100, 42);
        Assert.Equal(Enumerable.Range(0, 100), permutation.Order());
        Assert.All(Enumerable.Range(0, 1000).Select(_ => a.Next(7)), v => Assert.InRange(v, 0, 6));
    }
}

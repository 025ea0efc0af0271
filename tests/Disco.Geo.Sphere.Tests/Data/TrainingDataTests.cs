using Disco.Geo.Grids;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Models;

namespace Disco.Geo.Sphere.Tests.Data;

/// <summary>Training-data preparation: band roles, filling missing inputs, and the checks that datasets fit a task.</summary>
public sealed class TrainingDataTests
{
    private static readonly SphereGrid Grid = SphereGrid.Create(GridKind.Equiangular, 5, 8);
    private static readonly int Nodes = (int)Grid.NodeCount;

    [Fact]
    public void Bands_split_by_role_mask_bands_narrow_the_validity_and_missing_inputs_take_the_area_weighted_mean()
    {
        // Bands: input (row index), mask (row 4 invalid), label (2), input with a NaN at node 9.
        float[] values = new float[4 * Nodes];
        for (int k = 0; k < Nodes; k++)
        {
            values[k] = k / Grid.NLon;
            values[Nodes + k] = k / Grid.NLon == 4 ? 0f : 1f;
            values[(2 * Nodes) + k] = 2f;
            values[(3 * Nodes) + k] = 5f;
        }

        values[(3 * Nodes) + 9] = float.NaN;
        byte[] mask = Enumerable.Repeat((byte)1, Nodes).ToArray();
        GriddedTensor tensor = GriddedTensor.Create("dataset d", Grid, values,
            [GriddedBandRole.Input, GriddedBandRole.Mask, GriddedBandRole.Label, GriddedBandRole.Input], ["rows", "valid", "class", "five"], mask);

        Assert.Equal(["rows", "five"], tensor.InputNames);
        Assert.Equal(["class"], tensor.LabelNames);
        Assert.All(tensor.Labels, v => Assert.Equal(2f, v));
        Assert.Equal(0, tensor.Mask[9]);
        Assert.All(Enumerable.Range(4 * Grid.NLon, Grid.NLon), k => Assert.Equal(0, tensor.Mask[k]));
        Assert.Equal(Nodes - Grid.NLon - 1, tensor.Mask.Count(m => m == 1));

        // Invalid nodes hold the band's mean over valid nodes, weighted by quadrature: rows 1..3 are symmetric about
        // the equator, so "rows" averages to a value between them; "five" is 5 wherever it is valid.
        float filled = tensor.Inputs[(4 * Grid.NLon) + 1];
        Assert.Equal(filled, tensor.Inputs[9]);
        Assert.InRange(filled, 0.5f, 2.5f);
        Assert.Equal(5f, tensor.Inputs[Nodes + 9]);
        Assert.All(tensor.Inputs, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Segmentation_samples_count_classes_from_the_labels_and_ignore_invalid_nodes()
    {
        GriddedTensor first = Labelled("dataset a", k => k % 3);
        GriddedTensor second = Labelled("dataset b", k => k % 2);

        TrainingSamples samples = TrainingSamples.Create(ModelTask.Segmentation, [], [first, second], [], validationFraction: 0.5, seed: 1);

        Assert.Equal(3, samples.Outputs);
        Assert.Equal((1, 1), (samples.Training.Count, samples.Validation!.Count));
        Assert.Equal(["input"], samples.InputNames);
        int[] classes = samples.Training.Get(0).Classes!;
        Assert.Equal(Nodes, classes.Length);
        Assert.All(classes, c => Assert.InRange(c, 0, 2));
    }

    [Fact]
    public void Datasets_that_do_not_fit_the_task_or_each_other_are_refused_with_what_to_do()
    {
        GriddedTensor codes = Labelled("dataset codes", k => k % 2 == 0 ? 0 : 255);
        TrainingDataException notIds = Assert.Throws<TrainingDataException>(() => TrainingSamples.Create(ModelTask.Segmentation, [], [codes], [], 0, 1));
        Assert.Equal("datasets", notIds.Field);
        Assert.Contains("--label-map 0=0,255=1", notIds.Message, StringComparison.Ordinal);

        TrainingDataException names = Assert.Throws<TrainingDataException>(() =>
            TrainingSamples.Create(ModelTask.Segmentation, ["water", "land"], [Labelled("dataset c", k => k % 3)], [], 0, 1));
        Assert.Equal("model.class_names", names.Field);

        GriddedTensor other = GriddedTensor.Create("dataset coarse", SphereGrid.Create(GridKind.Equiangular, 3, 4), new float[2 * 12],
            [GriddedBandRole.Input, GriddedBandRole.Label], ["input", "class"], Enumerable.Repeat((byte)1, 12).ToArray());
        TrainingDataException grids = Assert.Throws<TrainingDataException>(() =>
            TrainingSamples.Create(ModelTask.Segmentation, [], [Labelled("dataset a", k => k % 2), other], [], 0, 1));
        Assert.Contains("must be on one grid", grids.Message, StringComparison.Ordinal);

        GriddedTensor unlabelled = GriddedTensor.Create("dataset u", Grid, new float[Nodes], [GriddedBandRole.Input], ["input"], new byte[Nodes]);
        Assert.Contains("no label bands", Assert.Throws<TrainingDataException>(() =>
            TrainingSamples.Create(ModelTask.Regression, [], [unlabelled], [], 0, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("at least 2 training datasets", Assert.Throws<TrainingDataException>(() =>
            TrainingSamples.Create(ModelTask.Segmentation, [], [Labelled("dataset a", k => k % 2)], [], 0.2, 1)).Message, StringComparison.Ordinal);
    }

    private static GriddedTensor Labelled(string display, Func<int, int> label)
    {
        float[] values = new float[2 * Nodes];
        for (int k = 0; k < Nodes; k++)
        {
            values[k] = k;
            values[Nodes + k] = label(k);
        }

        return GriddedTensor.Create(display, Grid, values, [GriddedBandRole.Input, GriddedBandRole.Label], ["input", "class"], Enumerable.Repeat((byte)1, Nodes).ToArray());
    }
}

using Disco.Geo.Grids;
using Disco.Geo.Sphere.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Metrics;

public class SphereMetricTests
{
    private static readonly SphereGrid Grid = SphereGrid.Create(GridKind.Equiangular, 17, 32);

    [Fact]
    public void A_prediction_wrong_only_in_the_polar_rows_scores_the_polar_area_fraction_not_the_pixel_fraction()
    {
        using Tensor truth = zeros([1, 17, 32], int64);
        using Tensor prediction = zeros([1, 17, 32], int64);
        prediction[0, 0, ..] = tensor(1L);
        prediction[0, 16, ..] = tensor(1L);
        SegmentationMetrics metrics = new(2, Grid);
        metrics.Update(prediction, truth);

        double polarArea = (Grid.NodeArea(0) + Grid.NodeArea(16)) * Grid.NLon / (4 * Math.PI);
        double pixelFraction = 2.0 / 17;
        Assert.Equal(1 - polarArea, metrics.Accuracy, 9);
        Assert.True(1 - metrics.Accuracy < pixelFraction / 10, $"error {1 - metrics.Accuracy} vs pixel fraction {pixelFraction}");
        Assert.Equal(4 * Math.PI, metrics.TotalArea, 9);

        // Regression and depth errors confined to the poles are weighted the same way.
        RegressionMetrics regression = new(1, Grid);
        regression.Update(prediction.unsqueeze(1).to(float32), truth.unsqueeze(1).to(float32));
        Assert.Equal(polarArea, regression.Mae, 9);
        Assert.Equal(Math.Sqrt(polarArea), regression.Rmse, 9);
    }

    [Fact]
    public void Confusion_matrix_iou_and_miou_match_a_hand_computed_case()
    {
        // Rows 0..7 north labelled 0, rows 8..16 labelled 1; the prediction calls row 8 class 0 too.
        using Tensor truth = zeros([1, 17, 32], int64);
        truth[0, 8.., ..] = tensor(1L);
        using Tensor prediction = truth.clone();
        prediction[0, 8, ..] = tensor(0L);
        SegmentationMetrics metrics = new(3, Grid);
        metrics.Update(prediction, truth);

        double Rows(int from, int to) => Enumerable.Range(from, to - from).Sum(i => Grid.NodeArea(i) * 32);
        double north = Rows(0, 8), equator = Rows(8, 9), south = Rows(9, 17);
        Assert.Equal(north, metrics[0, 0], 9);
        Assert.Equal(equator, metrics[1, 0], 9);
        Assert.Equal(south, metrics[1, 1], 9);
        Assert.Equal(north / (north + equator), metrics.IoU(0), 9);
        Assert.Equal(south / (south + equator), metrics.IoU(1), 9);

        // Class 2 never occurs: it is left out of the mean rather than counted.
        Assert.True(double.IsNaN(metrics.IoU(2)));
        Assert.Equal((metrics.IoU(0) + metrics.IoU(1)) / 2, metrics.MeanIoU, 12);
        Assert.False(metrics.ToDictionary().ContainsKey("iou_2"));
    }

    [Fact]
    public void Masks_and_negative_labels_are_left_out_and_logits_are_argmaxed()
    {
        using Tensor truth = ones([2, 17, 32], int64);
        truth[0, 0, ..] = tensor(-1L);
        using Tensor logits = zeros(2, 2, 17, 32);
        logits[.., 1] = tensor(1f);
        logits[1, 1, 5, ..] = tensor(-1f);
        using Tensor mask = ones(2, 17, 32);
        mask[1, 5, ..] = tensor(0f);
        SegmentationMetrics metrics = new(2, Grid);
        metrics.Update(logits, truth, mask);
        Assert.Equal(1.0, metrics.Accuracy, 12);
        Assert.Equal(8 * Math.PI - Grid.NodeArea(0) * 32 - Grid.NodeArea(5) * 32, metrics.TotalArea, 9);
    }

    [Fact]
    public void Regression_metrics_are_area_weighted_per_band_and_overall()
    {
        using Tensor target = zeros(1, 2, 17, 32);
        using Tensor prediction = zeros(1, 2, 17, 32);
        prediction[0, 0] = tensor(3f);
        prediction[0, 1] = tensor(-4f);
        RegressionMetrics metrics = new(2, Grid);
        metrics.Update(prediction, target);
        Assert.Equal(3, metrics.BandRmse(0), 6);
        Assert.Equal(4, metrics.BandMae(1), 6);
        Assert.Equal(Math.Sqrt(12.5), metrics.Rmse, 6);
        Assert.Equal(3.5, metrics.Mae, 6);
        Assert.Equal(["mae", "mae_0", "mae_1", "rmse", "rmse_0", "rmse_1"], metrics.ToDictionary().Keys.Order());
    }

    [Fact]
    public void Depth_metrics_match_their_definitions()
    {
        using Tensor truth = rand(1, 1, 17, 32) * 5 + 1;
        DepthMetrics close = new(Grid);
        close.Update(truth * 1.1, truth);
        Assert.Equal(0.1, close.AbsRel, 5);
        Assert.Equal(1.0, close.Delta(1), 12);

        DepthMetrics far = new(Grid);
        far.Update(truth * 1.3, truth);
        Assert.Equal(0.3, far.AbsRel, 5);
        Assert.Equal(0.0, far.Delta(1), 12);
        Assert.Equal(1.0, far.Delta(2), 12);

        // Half the sphere (by area) off by a factor of 2: δ < 1.25 covers exactly the other half.
        using Tensor prediction = truth.clone();
        prediction[.., .., ..8, ..] *= 2;
        prediction[.., .., 8, 16..] *= 2;
        DepthMetrics half = new(Grid);
        half.Update(prediction, truth);
        Assert.Equal(0.5, half.Delta(1), 6);
        Assert.Equal(0.5, half.Delta(3), 6);

        // Invalid true depths are left out.
        using Tensor holes = truth.clone();
        holes[0, 0, 3, ..] = tensor(float.NaN);
        DepthMetrics masked = new(Grid);
        masked.Update(truth * 1.1, holes);
        Assert.Equal(0.1, masked.AbsRel, 5);
    }

    [Fact]
    public void Mismatched_shapes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new SegmentationMetrics(2, Grid).Update(zeros([1, 17, 32], int64), zeros([1, 16, 32], int64)));
        Assert.Throws<ArgumentException>(() => new SegmentationMetrics(2, Grid).Update(full([1, 17, 32], 2L, int64), zeros([1, 17, 32], int64)));
        Assert.Throws<ArgumentException>(() => new RegressionMetrics(1, Grid).Update(zeros(1, 2, 17, 32), zeros(1, 2, 17, 32)));
        Assert.Throws<ArgumentException>(() => new DepthMetrics(Grid).Update(zeros(1, 1, 17, 32), zeros(1, 1, 17, 32), ones(1, 16, 32)));
        Assert.Throws<ArgumentException>(() => new SegmentationMetrics(1, Grid));
    }
}

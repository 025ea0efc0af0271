using Disco.Geo.Grids;
using Disco.Geo.Sphere.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Losses;

public class SphereLossTests
{
    private static readonly SphereGrid Grid = SphereGrid.Create(GridKind.Equiangular, 5, 8);

    [Fact]
    public void Cross_entropy_is_the_area_weighted_mean_of_minus_log_p()
    {
        // Logits (0, ln 3): p(1) = 3/4, p(0) = 1/4. Row 1 is labelled 1, every other row 0.
        using Tensor logits = stack([zeros(1, 5, 8), full(1, 5, 8, Math.Log(3))], 1);
        using Tensor labels = zeros([1, 5, 8], int64);
        labels[0, 1, ..] = tensor(1L);
        double numerator = 0, denominator = 0;
        for (int i = 0; i < 5; i++)
        {
            double a = Grid.NodeArea(i) * 8;
            numerator += a * (i == 1 ? -Math.Log(0.75) : -Math.Log(0.25));
            denominator += a;
        }

        using Tensor loss = SphereLosses.CrossEntropy(logits, labels, Grid);
        Assert.Equal(numerator / denominator, loss.item<float>(), 5);
    }

    [Fact]
    public void Cross_entropy_honours_class_weights_masks_and_negative_ids()
    {
        using Tensor logits = stack([zeros(1, 5, 8), full(1, 5, 8, Math.Log(3))], 1);
        using Tensor labels = zeros([1, 5, 8], int64);
        labels[0, 1, ..] = tensor(1L);
        labels[0, 2, ..] = tensor(-1L);
        using Tensor mask = ones(1, 5, 8);
        mask[0, 3, ..] = tensor(0f);
        double numerator = 0, denominator = 0;
        for (int i = 0; i < 5; i++)
        {
            if (i is 2 or 3)
            {
                continue;
            }

            double w = Grid.NodeArea(i) * (i == 1 ? 4.0 : 1.0);
            numerator += w * (i == 1 ? -Math.Log(0.75) : -Math.Log(0.25));
            denominator += w;
        }

        using Tensor loss = SphereLosses.CrossEntropy(logits, labels, Grid, mask, classWeights: [1.0, 4.0]);
        Assert.Equal(numerator / denominator, loss.item<float>(), 5);
    }

    [Fact]
    public void Pointwise_losses_match_hand_computed_values_and_ignore_masked_nodes()
    {
        // Error 0.5 on row 0, 2 on row 4, 0 elsewhere; row 2 masked with an error of 1000.
        using Tensor target = zeros(1, 1, 5, 8);
        using Tensor prediction = zeros(1, 1, 5, 8);
        prediction[0, 0, 0, ..] = tensor(0.5f);
        prediction[0, 0, 4, ..] = tensor(2f);
        prediction[0, 0, 2, ..] = tensor(1000f);
        using Tensor mask = ones(1, 5, 8);
        mask[0, 2, ..] = tensor(0f);
        double a0 = Grid.NodeArea(0), a4 = Grid.NodeArea(4), total = 0;
        for (int i = 0; i < 5; i++)
        {
            total += i == 2 ? 0 : Grid.NodeArea(i);
        }

        Assert.Equal((a0 * 0.5 + a4 * 2) / total, SphereLosses.L1(prediction, target, Grid, mask).item<float>(), 5);
        Assert.Equal((a0 * 0.25 + a4 * 4) / total, SphereLosses.L2(prediction, target, Grid, mask).item<float>(), 5);

        // Huber with δ = 1: ½·0.5² inside, 1·(2 − ½) outside.
        Assert.Equal((a0 * 0.125 + a4 * 1.5) / total, SphereLosses.Huber(prediction, target, Grid, mask, delta: 1).item<float>(), 5);
    }

    [Fact]
    public void The_scale_invariant_log_loss_ignores_a_global_scale_when_lambda_is_one()
    {
        using Tensor depth = rand(2, 1, 5, 8) + 0.5;
        using Tensor scaledLog = (depth * 3).log();
        double log3 = Math.Log(3);
        Assert.Equal(0, SphereLosses.ScaleInvariantLog(scaledLog, depth, Grid, lambda: 1).item<float>(), 5);
        Assert.Equal(log3 * log3, SphereLosses.ScaleInvariantLog(scaledLog, depth, Grid, lambda: 0).item<float>(), 4);
        Assert.Equal(0.5 * log3 * log3, SphereLosses.ScaleInvariantLog(scaledLog, depth, Grid, lambda: 0.5).item<float>(), 4);

        // Non-positive true depths are left out rather than producing NaN.
        using Tensor holes = depth.clone();
        holes[0, 0, 2, ..] = tensor(0f);
        Assert.Equal(0.5 * log3 * log3, SphereLosses.ScaleInvariantLog(scaledLog, holes, Grid, lambda: 0.5).item<float>(), 4);
    }

    [Fact]
    public void With_no_valid_node_the_loss_is_zero_and_its_gradient_finite()
    {
        using Tensor logits = randn([1, 2, 5, 8], requires_grad: true);
        using Tensor labels = full([1, 5, 8], -1L, int64);
        using Tensor loss = SphereLosses.CrossEntropy(logits, labels, Grid);
        loss.backward();
        Assert.Equal(0f, loss.item<float>());
        Assert.True(logits.grad!.isfinite().all().item<bool>());

        using Tensor prediction = randn(1, 1, 5, 8);
        Assert.Equal(0f, SphereLosses.L2(prediction, prediction + 1, Grid, zeros(1, 5, 8)).item<float>());
    }

    [Fact]
    public void Bad_inputs_are_rejected_with_what_to_fix()
    {
        using Tensor logits = randn(1, 2, 5, 8);
        Assert.Contains("out of range for 2 classes", Assert.Throws<ArgumentException>(() => SphereLosses.CrossEntropy(logits, full([1, 5, 8], 2L, int64), Grid)).Message, StringComparison.Ordinal);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => SphereLosses.CrossEntropy(logits, zeros(1, 5, 8), Grid)).Message, StringComparison.Ordinal);
        Assert.Contains("[1, 5, 8]", Assert.Throws<ArgumentException>(() => SphereLosses.CrossEntropy(logits, zeros([1, 4, 8], int64), Grid)).Message, StringComparison.Ordinal);
        Assert.Contains("class_weights", Assert.Throws<ArgumentException>(() => SphereLosses.CrossEntropy(logits, zeros([1, 5, 8], int64), Grid, classWeights: [1.0])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SphereLosses.L1(randn(1, 1, 5, 8), randn(1, 2, 5, 8), Grid));
        Assert.Throws<ArgumentException>(() => SphereLosses.L1(randn(1, 1, 4, 8), randn(1, 1, 4, 8), Grid));
        Assert.Throws<ArgumentException>(() => SphereLosses.L1(randn(1, 1, 5, 8), randn(1, 1, 5, 8), Grid, ones(2, 5, 8)));
        Assert.Throws<ArgumentException>(() => SphereLosses.Huber(randn(1, 1, 5, 8), randn(1, 1, 5, 8), Grid, delta: 0));
        Assert.Throws<ArgumentException>(() => SphereLosses.ScaleInvariantLog(randn(1, 1, 5, 8), rand(1, 1, 5, 8), Grid, lambda: 2));
    }
}

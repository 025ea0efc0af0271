using Disco.Geo.Grids;
using Disco.Geo.Sphere.Losses;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Metrics;

/// <summary>Shape checks and helpers the metric accumulators share.</summary>
internal static class MetricInputs
{
    public static void CheckPair(Tensor prediction, Tensor target, Tensor? mask, SphereGrid grid, int bands)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        AreaWeights.CheckGrid(target, grid, nameof(target));
        if (target.dim() != 4 || target.shape[1] != bands || !prediction.shape.SequenceEqual(target.shape))
        {
            throw new ArgumentException(
                $"Prediction and target must both be [batch, {bands}, {grid.NLat}, {grid.NLon}], got [{string.Join(", ", prediction.shape)}] and [{string.Join(", ", target.shape)}].",
                nameof(prediction));
        }

        if (mask is not null && (mask.dim() != 3 || mask.shape[0] != target.shape[0] || mask.shape[1] != grid.NLat || mask.shape[2] != grid.NLon))
        {
            throw new ArgumentException(
                $"The mask must be [{target.shape[0]}, {grid.NLat}, {grid.NLon}], got [{string.Join(", ", mask.shape)}].", nameof(mask));
        }
    }

    /// <summary>The mask as bool [B, 1, H, W], broadcastable over bands (all true when null).</summary>
    public static Tensor Valid(Tensor? mask, Tensor target) =>
        mask is null ? ones_like(target, ScalarType.Bool).select(1, 0).unsqueeze(1) : mask.ne(Runtime.Scalars.Zero).unsqueeze(1);

    public static double[] ToArray(Tensor values)
    {
        using Tensor cpu = values.to(ScalarType.Float64, CPU).contiguous();
        return cpu.data<double>().ToArray();
    }
}

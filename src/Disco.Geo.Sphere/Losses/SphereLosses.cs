using Disco.Geo.Grids;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Losses;

/// <summary>
/// Losses on the sphere. Each is a quadrature-weighted mean over valid nodes of the whole batch,
/// L = Σ a_i m_n ℓ_n / Σ a_i m_n, with a_i the node area of the node's row and m_n its validity mask (1 or 0), so a
/// polar row of an equiangular grid (≈ 0 sr) counts for what it covers rather than as much as the equator. With no
/// valid node the loss is 0 (and its gradient zero), never NaN. Masks are [B, H, W] (float or bool; null = all valid).
/// </summary>
public static class SphereLosses
{
    // Static, so reachable for the process's lifetime: see Runtime.Scalars.
    private static readonly Scalar Half = Runtime.Scalars.Constant(0.5);
    private static readonly Scalar Tiny = Runtime.Scalars.Constant(1e-30);

    /// <summary>
    /// Area-weighted cross-entropy of logits [B, C, H, W] against class ids [B, H, W] (int64; negative ids are ignored),
    /// with optional per-class weights w_c: L = Σ a m w_y (−log softmax(z)_y) / Σ a m w_y, PyTorch's weighted mean.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes disagree, a class id is ≥ C, or a class weight is negative or not finite.</exception>
    public static Tensor CrossEntropy(Tensor logits, Tensor classes, SphereGrid grid, Tensor? mask = null, IReadOnlyList<double>? classWeights = null)
    {
        ArgumentNullException.ThrowIfNull(grid);
        AreaWeights.CheckGrid(logits, grid, nameof(logits));
        if (logits.dim() != 4)
        {
            throw new ArgumentException($"logits must be [batch, classes, {grid.NLat}, {grid.NLon}], got [{string.Join(", ", logits.shape)}].", nameof(logits));
        }

        long numClasses = logits.shape[1];
        CheckLabels(classes, logits, numClasses);
        using DisposeScope scope = NewDisposeScope();
        Tensor valid = Valid(mask, classes, logits).logical_and(classes.ge(Runtime.Scalars.Zero));
        Tensor safe = classes.clamp_min(Runtime.Scalars.ZeroInt64);
        Tensor nll = -nn.functional.log_softmax(logits, 1).gather(1, safe.unsqueeze(1)).squeeze(1);
        Tensor weight = valid.to(logits.dtype) * AreaWeights.Rows(grid, logits);
        if (classWeights is not null)
        {
            if (classWeights.Count != numClasses || classWeights.Any(w => !double.IsFinite(w) || w < 0))
            {
                throw new ArgumentException(
                    $"class_weights must give a finite, non-negative weight for each of the {numClasses} classes, got [{string.Join(", ", classWeights)}].", nameof(classWeights));
            }

            Tensor perClass = tensor(classWeights.ToArray(), dtype: logits.dtype, device: logits.device);
            weight *= perClass.index_select(0, safe.flatten()).view(safe.shape);
        }

        return WeightedMean(nll, weight).MoveToOuterDisposeScope();
    }

    /// <summary>Area-weighted mean absolute error of [B, T, H, W] predictions against targets.</summary>
    public static Tensor L1(Tensor prediction, Tensor target, SphereGrid grid, Tensor? mask = null) =>
        Pointwise(prediction, target, grid, mask, static d => d.abs());

    /// <summary>Area-weighted mean squared error of [B, T, H, W] predictions against targets.</summary>
    public static Tensor L2(Tensor prediction, Tensor target, SphereGrid grid, Tensor? mask = null) =>
        Pointwise(prediction, target, grid, mask, static d => d * d);

    /// <summary>
    /// Area-weighted Huber loss: ½d² for |d| ≤ δ, δ(|d| − ½δ) beyond (quadratic near zero, linear for outliers).
    /// </summary>
    /// <exception cref="ArgumentException">δ is not positive and finite.</exception>
    public static Tensor Huber(Tensor prediction, Tensor target, SphereGrid grid, Tensor? mask = null, double delta = 1.0)
    {
        if (!(delta > 0) || !double.IsFinite(delta))
        {
            throw new ArgumentException($"huber_delta = {delta} must be positive and finite.", nameof(delta));
        }

        return Pointwise(prediction, target, grid, mask, d =>
        {
            // Held across the native calls: see Runtime.Scalars.
            using Scalar deltaScalar = delta.ToScalar();
            using Scalar halfDelta = (0.5 * delta).ToScalar();
            Tensor absolute = d.abs();
            return where(absolute.le(deltaScalar), (d * d).mul(Half), absolute.sub(halfDelta).mul(deltaScalar));
        });
    }

    /// <summary>
    /// The scale-invariant log loss of Eigen, Puhrsch &amp; Fergus (2014) with area weights, per sample:
    /// with d = log ŷ − log y over valid nodes, L = E_a[d²] − λ (E_a[d])², averaged over the samples that have valid
    /// nodes. λ = 0 is the squared log error, λ = 1 is fully scale-invariant; Eigen et al. train with λ = ½.
    /// Nodes whose target depth is not positive are left out.
    /// </summary>
    /// <param name="predictedLogDepth">log ŷ, [B, 1, H, W].</param>
    /// <param name="targetDepth">y, [B, 1, H, W].</param>
    /// <param name="grid">The grid.</param>
    /// <param name="mask">Validity [B, H, W], or null.</param>
    /// <param name="lambda">λ in [0, 1].</param>
    /// <exception cref="ArgumentException">Shapes disagree or λ is outside [0, 1].</exception>
    public static Tensor ScaleInvariantLog(Tensor predictedLogDepth, Tensor targetDepth, SphereGrid grid, Tensor? mask = null, double lambda = 0.5)
    {
        ArgumentNullException.ThrowIfNull(grid);
        CheckPair(predictedLogDepth, targetDepth, grid);
        if (!(lambda >= 0 && lambda <= 1))
        {
            throw new ArgumentException($"lambda = {lambda} must be in [0, 1] (Eigen et al. use 0.5).", nameof(lambda));
        }

        using DisposeScope scope = NewDisposeScope();
        Tensor positive = targetDepth.gt(Runtime.Scalars.Zero);
        Tensor valid = Valid(mask, predictedLogDepth.select(1, 0), predictedLogDepth).unsqueeze(1).logical_and(positive);
        Tensor d = predictedLogDepth.sub(where(positive, targetDepth, ones_like(targetDepth)).log());
        Tensor weight = valid.to(predictedLogDepth.dtype) * AreaWeights.Rows(grid, predictedLogDepth);
        long batch = d.shape[0];
        Tensor w = weight.reshape(batch, -1);
        Tensor total = w.sum(1);
        Tensor safeTotal = total.clamp_min(Tiny);
        Tensor mean = (w * d.reshape(batch, -1)).sum(1) / safeTotal;
        Tensor flat = d.reshape(batch, -1);
        Tensor meanSquare = (w * flat * flat).sum(1) / safeTotal;
        using Scalar minusLambda = (-lambda).ToScalar();
        Tensor perSample = meanSquare.add(mean * mean, minusLambda);
        Tensor hasData = total.gt(Runtime.Scalars.Zero).to(d.dtype);
        Tensor loss = (perSample * hasData).sum() / hasData.sum().clamp_min(Runtime.Scalars.One);
        return loss.MoveToOuterDisposeScope();
    }

    private static Tensor Pointwise(Tensor prediction, Tensor target, SphereGrid grid, Tensor? mask, Func<Tensor, Tensor> elementLoss)
    {
        ArgumentNullException.ThrowIfNull(grid);
        CheckPair(prediction, target, grid);
        using DisposeScope scope = NewDisposeScope();
        Tensor valid = Valid(mask, prediction.select(1, 0), prediction).unsqueeze(1);
        Tensor weight = (valid.to(prediction.dtype) * AreaWeights.Rows(grid, prediction)).expand_as(prediction);
        return WeightedMean(elementLoss(prediction.sub(target)), weight).MoveToOuterDisposeScope();
    }

    private static Tensor WeightedMean(Tensor values, Tensor weight) =>
        (values * weight).sum() / weight.sum().clamp_min(Tiny);

    /// <summary>The mask as bool [B, H, W] (all true when null).</summary>
    private static Tensor Valid(Tensor? mask, Tensor shapeOf, Tensor deviceOf)
    {
        if (mask is null)
        {
            return ones(shapeOf.shape, ScalarType.Bool, deviceOf.device);
        }

        if (!mask.shape.SequenceEqual(shapeOf.shape))
        {
            throw new ArgumentException(
                $"The mask must be [{string.Join(", ", shapeOf.shape)}] (batch, nlat, nlon), got [{string.Join(", ", mask.shape)}].", nameof(mask));
        }

        return mask.dtype == ScalarType.Bool ? mask.alias() : mask.ne(Runtime.Scalars.Zero);
    }

    private static void CheckPair(Tensor prediction, Tensor target, SphereGrid grid)
    {
        AreaWeights.CheckGrid(prediction, grid, nameof(prediction));
        ArgumentNullException.ThrowIfNull(target);
        if (prediction.dim() != 4 || !prediction.shape.SequenceEqual(target.shape))
        {
            throw new ArgumentException(
                $"Prediction and target must both be [batch, bands, {grid.NLat}, {grid.NLon}], got [{string.Join(", ", prediction.shape)}] and [{string.Join(", ", target.shape)}].",
                nameof(target));
        }
    }

    private static void CheckLabels(Tensor classes, Tensor logits, long numClasses)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.dim() != 3 || classes.shape[0] != logits.shape[0] || classes.shape[1] != logits.shape[2] || classes.shape[2] != logits.shape[3])
        {
            throw new ArgumentException(
                $"Class ids must be [{logits.shape[0]}, {logits.shape[2]}, {logits.shape[3]}] to match the logits, got [{string.Join(", ", classes.shape)}].", nameof(classes));
        }

        if (classes.dtype != ScalarType.Int64)
        {
            throw new ArgumentException($"Class ids must be int64, got {classes.dtype}: convert them with .to(int64).", nameof(classes));
        }

        long max = classes.max().item<long>();
        if (max >= numClasses)
        {
            throw new ArgumentException(
                $"Class id {max} is out of range for {numClasses} classes (0..{numClasses - 1}); use a negative id to ignore a node.", nameof(classes));
        }
    }
}

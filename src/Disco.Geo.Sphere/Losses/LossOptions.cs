namespace Disco.Geo.Sphere.Losses;

/// <summary>The pointwise loss of a regression model.</summary>
public enum RegressionLoss
{
    /// <summary>Mean absolute error: robust to outliers, median-seeking.</summary>
    L1,

    /// <summary>Mean squared error: mean-seeking, matches RMSE.</summary>
    L2,

    /// <summary>Huber: quadratic within <see cref="LossOptions.HuberDelta"/>, linear beyond. The default.</summary>
    Huber,
}

/// <summary>
/// Loss settings. Segmentation uses area-weighted cross-entropy (optionally class-weighted); regression the chosen
/// pointwise loss on standardised targets (so <see cref="HuberDelta"/> is in units of the target's std); depth the
/// scale-invariant log loss.
/// </summary>
public sealed record LossOptions
{
    /// <summary>Regression loss. Default Huber.</summary>
    public RegressionLoss Regression { get; init; } = RegressionLoss.Huber;

    /// <summary>Huber threshold in target standard deviations. Default 1.</summary>
    public double HuberDelta { get; init; } = 1.0;

    /// <summary>Per-class weights for cross-entropy, or null for equal weights.</summary>
    public IReadOnlyList<double>? ClassWeights { get; init; }

    /// <summary>λ of the scale-invariant log loss. Default ½ (Eigen et al.).</summary>
    public double ScaleInvariantLambda { get; init; } = 0.5;

    /// <summary>Checks the settings against the number of classes.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate(int classes)
    {
        if (!Enum.IsDefined(Regression))
        {
            throw new ArgumentException($"Unknown regression loss {(int)Regression}; use l1, l2 or huber.", nameof(Regression));
        }

        if (!(HuberDelta > 0) || !double.IsFinite(HuberDelta))
        {
            throw new ArgumentException($"huber_delta = {HuberDelta} must be positive and finite.", nameof(HuberDelta));
        }

        if (!(ScaleInvariantLambda >= 0 && ScaleInvariantLambda <= 1))
        {
            throw new ArgumentException($"scale_invariant_lambda = {ScaleInvariantLambda} must be in [0, 1].", nameof(ScaleInvariantLambda));
        }

        if (ClassWeights is not null && (ClassWeights.Count != classes || ClassWeights.Any(w => !double.IsFinite(w) || w < 0) || ClassWeights.All(w => w == 0)))
        {
            throw new ArgumentException(
                $"class_weights must give a finite, non-negative weight for each of the {classes} classes, not all zero; got [{string.Join(", ", ClassWeights)}].",
                nameof(ClassWeights));
        }
    }
}

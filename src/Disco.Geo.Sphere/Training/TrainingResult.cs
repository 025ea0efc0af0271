namespace Disco.Geo.Sphere.Training;

/// <summary>Why a training run ended.</summary>
public enum StopReason
{
    /// <summary>All epochs ran.</summary>
    Completed,

    /// <summary><see cref="TrainingOptions.MaxSteps"/> was reached.</summary>
    MaxSteps,

    /// <summary>The validation metric stopped improving.</summary>
    EarlyStopped,

    /// <summary><see cref="TrainingOptions.TimeLimit"/> was reached.</summary>
    TimeLimit,
}

/// <summary>One validation during training.</summary>
/// <param name="Epoch">The epoch it followed (1-based).</param>
/// <param name="Step">Steps completed at the time.</param>
/// <param name="TrainingLoss">Mean training loss of the epoch's steps.</param>
/// <param name="Metrics">Validation metrics, with "loss".</param>
public sealed record EpochRecord(int Epoch, long Step, double TrainingLoss, IReadOnlyDictionary<string, double> Metrics);

/// <summary>The outcome of a training run. The model passed to the trainer holds the final (or best) weights.</summary>
public sealed record TrainingResult
{
    /// <summary>Why training ended.</summary>
    public required StopReason StopReason { get; init; }

    /// <summary>Optimizer steps completed in total.</summary>
    public required long Steps { get; init; }

    /// <summary>Steps the run was planned for.</summary>
    public required long TotalSteps { get; init; }

    /// <summary>True when the run continued from a checkpoint.</summary>
    public required bool Resumed { get; init; }

    /// <summary>The metric that chose the best model.</summary>
    public required string ValidationMetric { get; init; }

    /// <summary>Its best value, or null without validation.</summary>
    public double? BestMetric { get; init; }

    /// <summary>The epoch of the best value, or null.</summary>
    public int? BestEpoch { get; init; }

    /// <summary>True when the best weights were put back at the end.</summary>
    public bool RestoredBestWeights { get; init; }

    /// <summary>
    /// Metrics of the returned model on the validation set, or on the training set (without augmentation) when there
    /// is no validation set (see <see cref="FinalMetricsSource"/>).
    /// </summary>
    public required IReadOnlyDictionary<string, double> FinalMetrics { get; init; }

    /// <summary>"validation" or "training".</summary>
    public required string FinalMetricsSource { get; init; }

    /// <summary>Training loss of every step, in order (resumed runs included).</summary>
    public required IReadOnlyList<double> StepLosses { get; init; }

    /// <summary>Every validation, in order.</summary>
    public required IReadOnlyList<EpochRecord> Validations { get; init; }

    /// <summary>Training time summed over attempts.</summary>
    public required TimeSpan Elapsed { get; init; }
}

/// <summary>Training produced a non-finite loss or gradient; the message says at which step and what to try.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

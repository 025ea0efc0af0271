namespace Disco.Geo.Sphere.Training;

/// <summary>What a <see cref="TrainingEvent"/> reports.</summary>
public enum TrainingEventKind
{
    /// <summary>Training starts (fresh or resumed); <see cref="TrainingEvent.Step"/> is where it starts.</summary>
    Started,

    /// <summary>An optimizer step finished: loss, learning rate, gradient norm, throughput and ETA.</summary>
    Step,

    /// <summary>A validation finished: its metrics (with "loss").</summary>
    Validated,

    /// <summary>A checkpoint was written.</summary>
    CheckpointSaved,

    /// <summary>Training finished; the metrics are the final evaluation's.</summary>
    Finished,
}

/// <summary>
/// One progress report of a training run. Events arrive in order on the training thread through
/// <see cref="IProgress{T}"/>; a server can fan them out to any number of watchers.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Message">One human-readable line.</param>
public sealed record TrainingEvent(TrainingEventKind Kind, string Message)
{
    /// <summary>Current epoch, 1-based (the epoch the last step belonged to).</summary>
    public int Epoch { get; init; }

    /// <summary>Epochs of the run.</summary>
    public int TotalEpochs { get; init; }

    /// <summary>Optimizer steps completed.</summary>
    public long Step { get; init; }

    /// <summary>Optimizer steps of the whole run.</summary>
    public long TotalSteps { get; init; }

    /// <summary>The step's training loss (Step events).</summary>
    public double? Loss { get; init; }

    /// <summary>The learning rate used for the step.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Global gradient norm before clipping.</summary>
    public double? GradientNorm { get; init; }

    /// <summary>Validation or final metrics (Validated, Finished); empty otherwise.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Recent training throughput in samples per second.</summary>
    public double SamplesPerSecond { get; init; }

    /// <summary>Training time so far, summed over resumed attempts.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Estimated time to completion (including validations), or null when unknown.</summary>
    public TimeSpan? Eta { get; init; }

    /// <summary>
    /// Every scalar of the event in one map, for forwarding to dashboards: "loss", "learning_rate" and "gradient_norm"
    /// when present, then the metrics (validation and final metrics keep their own names, e.g. "miou", "loss").
    /// </summary>
    public IReadOnlyDictionary<string, double> Scalars
    {
        get
        {
            Dictionary<string, double> scalars = new(StringComparer.Ordinal);
            if (Loss is double loss)
            {
                scalars["loss"] = loss;
            }

            if (LearningRate is double learningRate)
            {
                scalars["learning_rate"] = learningRate;
            }

            if (GradientNorm is double gradientNorm)
            {
                scalars["gradient_norm"] = gradientNorm;
            }

            foreach ((string name, double value) in Metrics)
            {
                scalars[Kind == TrainingEventKind.Validated && name == "loss" ? "validation_loss" : name] = value;
            }

            return scalars;
        }
    }

    /// <summary>Fraction of the run done, 0..1.</summary>
    public double Fraction => TotalSteps > 0 ? Math.Clamp((double)Step / TotalSteps, 0, 1) : 0;
}

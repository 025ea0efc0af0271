using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Losses;

namespace Disco.Geo.Sphere.Training;

/// <summary>
/// Settings of a training run. Those that shape the trajectory (seed, batch size, epochs, step limit, learning-rate
/// schedule, clipping, augmentation, loss, validation and early stopping) are recorded in checkpoints: a run resumes
/// only with the same values. <see cref="TimeLimit"/>, <see cref="CheckpointEverySteps"/> and
/// <see cref="ProgressEverySteps"/> may change between attempts.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Passes over the training set. Default 10.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Stop after this many optimizer steps in total (0 = no limit beyond <see cref="Epochs"/>).</summary>
    public long MaxSteps { get; init; }

    /// <summary>Samples per optimizer step. Default 2. The last batch of an epoch may be smaller.</summary>
    public int BatchSize { get; init; } = 2;

    /// <summary>Peak learning rate of AdamW. Default 2e-3.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Decoupled weight decay of AdamW, applied to convolution weights only (not biases or normalisation). Default 1e-4.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Linear warm-up steps before the cosine decay; null = 5 % of all steps (at least 1). Default null.</summary>
    public int? WarmupSteps { get; init; }

    /// <summary>The cosine schedule decays to this fraction of the peak rate. Default 0.02.</summary>
    public double MinLearningRateFraction { get; init; } = 0.02;

    /// <summary>Clip the global gradient norm to this value (0 = no clipping). Default 1.</summary>
    public double GradientClipNorm { get; init; } = 1.0;

    /// <summary>Seed of the data order and the augmentation (weights are seeded by <c>SphereModelFactory.Create</c>). Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Rotation augmentation. Default none.</summary>
    public RotationAugmentation Rotation { get; init; } = RotationAugmentation.None;

    /// <summary>Loss settings.</summary>
    public LossOptions Loss { get; init; } = new();

    /// <summary>Validate every this many epochs (and after the last step). Default 1.</summary>
    public int ValidateEveryEpochs { get; init; } = 1;

    /// <summary>Stop when the validation metric has not improved for this many validations (0 = never). Default 0.</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>
    /// The validation metric that decides the best model and early stopping: null = the task's default ("miou" for
    /// segmentation, "rmse" for regression, "abs_rel" for depth). "loss" or any metric the task reports may be named.
    /// </summary>
    public string? ValidationMetric { get; init; }

    /// <summary>At the end, put back the weights of the best validation. Default true.</summary>
    public bool RestoreBestWeights { get; init; } = true;

    /// <summary>
    /// On a fresh run, set the model's input (and regression/depth target) statistics from the training set. Default true.
    /// </summary>
    public bool ComputeStatistics { get; init; } = true;

    /// <summary>Stop (with a checkpoint) once this much training time has passed, summed over resumed attempts. Null = no limit.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>Checkpoint file, in a directory that must exist (it is never created: it may lie on a shared root that went away); null = no checkpoints (and no resume).</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Write a checkpoint every this many steps (and on stop, cancellation and completion). Default 10.</summary>
    public int CheckpointEverySteps { get; init; } = 10;

    /// <summary>Continue from <see cref="CheckpointPath"/> when it holds a checkpoint of this run. Default true.</summary>
    public bool Resume { get; init; } = true;

    /// <summary>Report a step event every this many steps. Default 1.</summary>
    public int ProgressEverySteps { get; init; } = 1;

    /// <summary>Batch size used for validation and final evaluation. Default 1.</summary>
    public int EvaluationBatchSize { get; init; } = 1;

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentException">The first invalid field, with how to fix it.</exception>
    public void Validate(int classes)
    {
        Require(Epochs >= 1, $"epochs = {Epochs} must be at least 1.", nameof(Epochs));
        Require(MaxSteps >= 0, $"max_steps = {MaxSteps} must be 0 (no limit) or positive.", nameof(MaxSteps));
        Require(BatchSize >= 1 && BatchSize <= 4096, $"batch_size = {BatchSize} must be in 1..4096.", nameof(BatchSize));
        Require(LearningRate > 0 && double.IsFinite(LearningRate) && LearningRate < 10, $"learning_rate = {LearningRate} must be positive and finite (typically 1e-4..1e-2).", nameof(LearningRate));
        Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), $"weight_decay = {WeightDecay} must be non-negative and finite.", nameof(WeightDecay));
        Require(WarmupSteps is null || WarmupSteps >= 0, $"warmup_steps = {WarmupSteps} must be non-negative (or null for 5 % of the steps).", nameof(WarmupSteps));
        Require(MinLearningRateFraction >= 0 && MinLearningRateFraction <= 1, $"min_learning_rate_fraction = {MinLearningRateFraction} must be in [0, 1].", nameof(MinLearningRateFraction));
        Require(GradientClipNorm >= 0 && double.IsFinite(GradientClipNorm), $"gradient_clip_norm = {GradientClipNorm} must be 0 (off) or positive.", nameof(GradientClipNorm));
        Require(Enum.IsDefined(Rotation), $"Unknown rotation augmentation {(int)Rotation}; use none, z-roll or so3.", nameof(Rotation));
        Require(ValidateEveryEpochs >= 1, $"validate_every_epochs = {ValidateEveryEpochs} must be at least 1.", nameof(ValidateEveryEpochs));
        Require(EarlyStoppingPatience >= 0, $"early_stopping_patience = {EarlyStoppingPatience} must be 0 (off) or positive.", nameof(EarlyStoppingPatience));
        Require(TimeLimit is null || TimeLimit > TimeSpan.Zero, $"time_limit = {TimeLimit} must be positive (or null for none).", nameof(TimeLimit));
        Require(CheckpointEverySteps >= 1, $"checkpoint_every_steps = {CheckpointEverySteps} must be at least 1.", nameof(CheckpointEverySteps));
        Require(ProgressEverySteps >= 1, $"progress_every_steps = {ProgressEverySteps} must be at least 1.", nameof(ProgressEverySteps));
        Require(EvaluationBatchSize >= 1 && EvaluationBatchSize <= 4096, $"evaluation_batch_size = {EvaluationBatchSize} must be in 1..4096.", nameof(EvaluationBatchSize));
        Require(CheckpointPath is null || CheckpointPath.Trim().Length > 0, "checkpoint_path is blank: give a file path or null.", nameof(CheckpointPath));
        Require(Loss is not null, "loss options are missing.", nameof(Loss));
        Loss!.Validate(classes);
    }

    private static void Require(bool condition, string message, string name)
    {
        if (!condition)
        {
            throw new ArgumentException(message, name);
        }
    }
}

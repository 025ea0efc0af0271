using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Losses;
using Disco.Geo.Sphere.Metrics;
using Disco.Geo.Sphere.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Inference;

/// <summary>Settings of an evaluation.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Samples per forward pass. Default 1.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>
    /// Rotate every sample (input bilinear, target and mask nearest) by a random rotation before predicting: the "R" test
    /// condition of rotation-robustness experiments. Default none.
    /// </summary>
    public RotationAugmentation Rotation { get; init; } = RotationAugmentation.None;

    /// <summary>Test-time rotation averaging (see <see cref="PredictionOptions.RotationAveraging"/>). Default none.</summary>
    public int RotationAveraging { get; init; }

    /// <summary>Seed of the random rotations. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>How rotation averaging picks its rotations (benchmarks compare the schemes). Default exact-first.</summary>
    internal RotationAveragingScheme AveragingScheme { get; init; }

    /// <summary>Level every sample with this leveller before predicting (see <see cref="CameraLeveller"/>); no loss is reported then.</summary>
    public CameraLeveller? Leveller { get; init; }

    /// <summary>Loss settings for the reported "loss" (omitted with rotation averaging).</summary>
    public LossOptions Loss { get; init; } = new();
}

/// <summary>Evaluates a model on a dataset: the task's area-weighted metrics and the mean loss.</summary>
public static class SphereEvaluator
{
    private const ulong EvaluationRotationStream = 0x4556414C524FUL; // "EVALRO"

    /// <summary>
    /// Metrics of <paramref name="model"/> on <paramref name="dataset"/>: accuracy, miou and iou_c (segmentation),
    /// rmse and mae (regression), abs_rel, rmse, mae and delta1..3 (depth), all area-weighted, plus "loss" (the
    /// sample-weighted mean training loss) when no rotation averaging is used.
    /// </summary>
    /// <exception cref="ArgumentException">The dataset is empty or does not fit the model.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between batches.</exception>
    public static IReadOnlyDictionary<string, double> Evaluate(
        SphereModel model, ISphereDataset dataset, EvaluationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dataset);
        options ??= new EvaluationOptions();
        if (options.BatchSize < 1)
        {
            throw new ArgumentException($"batch_size = {options.BatchSize} must be at least 1.", nameof(options));
        }

        if (options.Leveller is not null && options.RotationAveraging > 1)
        {
            throw new ArgumentException("Levelling and rotation averaging do not combine; choose one.", nameof(options));
        }

        options.Loss.Validate(model.Config.OutputChannels);
        DatasetChecks.Check(dataset, model.Config, "evaluation");
        SpherePredictor predictor = new(model);
        TaskMetrics metrics = new(model.Config);
        bool withLoss = options.RotationAveraging <= 1 && options.Leveller is null;
        double lossSum = 0;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            for (int start = 0; start < dataset.Count; start += options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using DisposeScope scope = NewDisposeScope();
                int[] ids = Enumerable.Range(start, Math.Min(options.BatchSize, dataset.Count - start)).ToArray();
                SphereSample[] samples = ids.Select(dataset.Get).ToArray();
                GridRotation?[] rotations = ids
                    .Select(id => RotationSampler.Draw(options.Rotation, model.Grid, new SeededRandom(SeededRandom.Mix(options.Seed, EvaluationRotationStream, (ulong)id))))
                    .ToArray();
                using SphereBatch batch = SphereBatch.Create(samples, ids, model.Config, model.Device, rotations);
                Tensor input = batch.Input.to(model.parameters().First().dtype);
                if (withLoss)
                {
                    using IDisposable noGrad = no_grad();
                    Tensor raw = model.forward(input);
                    lossSum += TaskLoss.Compute(model, raw, batch, options.Loss).ToDouble() * ids.Length;
                    metrics.Update(model.ToPhysical(raw), batch.Classes, batch.Values, batch.Mask);
                }
                else if (options.Leveller is not null)
                {
                    metrics.Update(options.Leveller.Predict(model, input).Physical, batch.Classes, batch.Values, batch.Mask);
                }
                else
                {
                    metrics.Update(predictor.Predict(input, options.RotationAveraging, options.Seed, options.AveragingScheme), batch.Classes, batch.Values, batch.Mask);
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }

        Dictionary<string, double> result = metrics.ToDictionary();
        if (withLoss)
        {
            result["loss"] = lossSum / dataset.Count;
        }

        return result;
    }
}

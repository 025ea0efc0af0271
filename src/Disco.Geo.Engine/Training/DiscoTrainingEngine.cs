using System.Globalization;
using System.Text.Json;
using Disco.Geo.Grids;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Packaging;
using Disco.Geo.Sphere.Training;
using TorchSharp;

namespace Disco.Geo.Engine.Training;

/// <summary>
/// <see cref="ITrainingEngine"/> on the DISCO training engine: reads the gridded datasets (<see cref="TrainingSamples"/>),
/// builds the model the request describes (<see cref="TrainingPlan"/>, weights seeded by the request's seed), trains
/// it with <see cref="SphereTrainer"/> on the job's device, and writes the model package with the class names and
/// colours, band names, final metrics and provenance in its card.
/// <para>
/// The checkpoint lives in the job's working directory: the first attempt starts afresh, a resumed attempt continues
/// from it (the trainer reproduces the uninterrupted run), and a damaged checkpoint means starting over rather than
/// failing. Cancellation and shutdown stop before the next step with a checkpoint of the last one.
/// </para>
/// </summary>
internal sealed class DiscoTrainingEngine(ILoggerFactory loggers) : ITrainingEngine
{
    /// <summary>Name of the checkpoint file in the working directory.</summary>
    public const string CheckpointFile = "training.checkpoint";

    private const int MaxCurvePoints = 500;

    private readonly ILogger _logger = loggers.CreateLogger<DiscoTrainingEngine>();

    public async Task TrainAsync(TrainingWork work, IProgress<EngineProgress> progress, CancellationToken cancellationToken)
    {
        TrainingRequest request = work.Request;
        progress.Report(new EngineProgress(0, "loading", $"Reading {work.Training.Count + work.Validation.Count} dataset(s)"));
        TrainingSettings hp = request.HyperParameters;
        IReadOnlyList<string> classNames = request.Model.ClassNames;
        ModelTask task = request.Task ?? throw new EngineInputException("task must be segmentation, regression or depth.", "task");
        TrainingSamples samples = await Task.Run(
            () => GriddedDatasetReader.ReadSamples(task, classNames, work.Training, work.Validation, hp.ValidationFraction, hp.Seed,
                work.Request.TrainingTime, work.Request.ValidationTime, cancellationToken), cancellationToken);

        Directory.CreateDirectory(work.WorkingDirectory);
        string checkpoint = Path.Combine(work.WorkingDirectory, CheckpointFile);
        bool resume = work.Attempt > 1 && File.Exists(checkpoint);
        if (!resume)
        {
            File.Delete(checkpoint);
        }

        TrainingPlan plan = TrainingPlan.Create(request, samples.Grid, samples.InputNames.Count, samples.Outputs, checkpoint, resume);
        torch.Device device = ComputeDevices.Select(request.Device);
        _logger.LogInformation(
            "Training job {JobId} attempt {Attempt}: {Architecture} {Task} on {Grid}, {Samples} training / {Validation} validation sample(s), device {Device}, {Mode}",
            work.JobId, work.Attempt, plan.Config.Architecture.ToName(), plan.Config.Task.ToName(), samples.Grid, samples.Training.Count,
            samples.Validation?.Count ?? 0, device, resume ? "resuming from the checkpoint" : "fresh");

        using SphereModel model = SphereModelFactory.Create(plan.Config, plan.Seed);
        model.to(device);
        var trainer = new SphereTrainer(loggers.CreateLogger<SphereTrainer>());
        var events = new TrainingProgress(progress);
        TrainingResult result = await RunAsync(trainer, model, samples, plan, events, checkpoint, cancellationToken);

        EngineProgress packaging = new(1, "packaging", "Writing the model package") { Step = result.Steps, TotalSteps = result.TotalSteps };
        progress.Report(events.Last is { } last ? last with { Fraction = 1, Stage = packaging.Stage, Message = packaging.Message } : packaging);
        string[] names = task == ModelTask.Segmentation ? ClassStyles.Names(classNames, samples.Outputs) : [];
        var info = new ModelCardInfo
        {
            Name = request.ModelName,
            Description = $"Trained by job {work.JobId} ({result.StopReason} after {result.Steps} steps).",
            ClassNames = names.Length > 0 ? names : null,
            ClassColors = names.Length > 0 ? ClassStyles.Colors(names) : null,
            InputBandNames = samples.InputNames,
            OutputBandNames = task == ModelTask.Segmentation ? null : samples.LabelNames,
            Provenance = Provenance(work, result, samples, events.StartedAtStep),
            Metrics = Metrics(result),
        };
        try
        {
            await ModelPackage.SaveAsync(work.PackagePath, model, info, cancellationToken);
        }
        catch (ArgumentException e)
        {
            throw new EngineInputException("The model package cannot be written: " + e.Message);
        }

        _logger.LogInformation("Training job {JobId} finished ({Reason}, {Steps} steps, {Seconds:F1} s): {Metrics}",
            work.JobId, result.StopReason, result.Steps, result.Elapsed.TotalSeconds, string.Join(", ", result.FinalMetrics.Select(m => $"{m.Key}={m.Value:G4}")));
    }

    public void CheckRequest(TrainingRequest request, SphereGrid grid, int inputBands, int labelBands)
    {
        int classNames = request.Model.ClassNames.Count;
        if (request.Task == ModelTask.Segmentation && classNames == 1)
        {
            throw new EngineInputException("model.class_names lists one class; segmentation needs at least 2 (e.g. water, land).", "model.class_names");
        }

        // The class count of unnamed classes comes from the labels, read by the job; 2 stands in for it here, since
        // only the last layer's width depends on it.
        int outputs = request.Task switch
        {
            ModelTask.Segmentation => Math.Max(2, classNames),
            ModelTask.Depth => 1,
            _ => Math.Max(1, labelBands),
        };
        _ = TrainingPlan.Create(request, grid, Math.Max(1, inputBands), outputs, CheckpointFile, resume: false);
        _ = ComputeDevices.Select(request.Device);
    }

    private async Task<TrainingResult> RunAsync(
        SphereTrainer trainer, SphereModel model, TrainingSamples samples, TrainingPlan plan, IProgress<TrainingEvent> progress, string checkpoint, CancellationToken cancellationToken)
    {
        try
        {
            return await trainer.TrainAsync(model, samples.Training, samples.Validation, plan.Options, progress, cancellationToken);
        }
        catch (InvalidDataException e) when (plan.Options.Resume)
        {
            // Checkpoints are written atomically, so this is damage on disk; the data is safe, only time is lost.
            _logger.LogWarning(e, "The training checkpoint {Path} is damaged; starting over", checkpoint);
            File.Delete(checkpoint);
            return await trainer.TrainAsync(model, samples.Training, samples.Validation, plan.Options with { Resume = false }, progress, cancellationToken);
        }
        catch (InvalidOperationException e) when (plan.Options.Resume)
        {
            throw new EngineStateException(
                $"The checkpoint of this job belongs to another configuration ({e.Message}); start a new training job instead of resuming.", EngineStateProblem.Incompatible, e);
        }
        catch (TrainingDivergedException e)
        {
            throw new EngineInputException(e.Message);
        }
        catch (ArgumentException e)
        {
            throw new EngineInputException(e.Message);
        }
    }

    private static Dictionary<string, double> Metrics(TrainingResult result)
    {
        var metrics = new Dictionary<string, double>(result.FinalMetrics, StringComparer.Ordinal)
        {
            ["steps"] = result.Steps,
            ["training_seconds"] = Math.Round(result.Elapsed.TotalSeconds, 3),
        };
        if (result.StepLosses.Count > 0)
        {
            metrics["final_training_loss"] = result.StepLosses[^1];
        }

        return metrics;
    }

    /// <summary>Where the model came from, and its learning curves (at most <see cref="MaxCurvePoints"/> points) as compact JSON.</summary>
    private static Dictionary<string, string> Provenance(TrainingWork work, TrainingResult result, TrainingSamples samples, long startedAtStep)
    {
        int stride = Math.Max(1, (result.StepLosses.Count + MaxCurvePoints - 1) / MaxCurvePoints);
        var curve = new List<double[]>();
        for (int s = 0; s < result.StepLosses.Count; s += stride)
        {
            curve.Add([s + 1, result.StepLosses[s]]);
        }

        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["job_id"] = work.JobId,
            ["training_datasets"] = string.Join(",", work.Training.Select(d => d.DatasetId)),
            ["validation_datasets"] = string.Join(",", work.Validation.Select(d => d.DatasetId)),
            ["training_samples"] = samples.Training.Count.ToString(CultureInfo.InvariantCulture),
            ["validation_samples"] = (samples.Validation?.Count ?? 0).ToString(CultureInfo.InvariantCulture),
            ["final_metrics_source"] = result.FinalMetricsSource,
            ["stop_reason"] = result.StopReason.ToString(),
            ["validation_metric"] = result.ValidationMetric,
            ["attempts"] = work.Attempt.ToString(CultureInfo.InvariantCulture),
            ["last_attempt_started_at_step"] = startedAtStep.ToString(CultureInfo.InvariantCulture),
            ["request"] = work.Request.RequestJson,
            ["loss_curve"] = JsonSerializer.Serialize(curve),
            ["validations"] = JsonSerializer.Serialize(result.Validations.Select(v => new { epoch = v.Epoch, step = v.Step, training_loss = Finite(v.TrainingLoss), metrics = v.Metrics.Where(m => double.IsFinite(m.Value)).ToDictionary() })),
        };
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}

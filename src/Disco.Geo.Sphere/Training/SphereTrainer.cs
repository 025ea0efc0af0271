using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Losses;
using Disco.Geo.Sphere.Metrics;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Packaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Training;

/// <summary>
/// Trains a <see cref="SphereModel"/> on a dataset: AdamW (decoupled weight decay on convolution weights only), linear
/// warm-up then cosine decay, global gradient-norm clipping, random rotation augmentation, validation with early
/// stopping and best-weight restore, atomic checkpoints and exact resume, cancellation, and a stream of progress events.
/// </summary>
/// <remarks>
/// <para>
/// Reproducibility: the data order of epoch e is a permutation drawn from (seed, e); the rotation of batch slot j at step
/// s from (seed, s, j); the learning rate is a function of s; weights and AdamW moments are saved exactly. A run resumed
/// from any checkpoint therefore takes the same steps, with the same losses, as the uninterrupted run (on the same
/// device and thread count). Initialise the model with <see cref="SphereModelFactory.Create"/> and a seed for
/// reproducible weights.
/// </para>
/// <para>
/// Each step runs in its own dispose scope, so native memory stays flat over any number of steps. The loop runs on a
/// dedicated thread; progress events are reported from it, in order.
/// </para>
/// </remarks>
public sealed class SphereTrainer
{
    private readonly ILogger _logger;

    /// <summary>Creates a trainer that logs to <paramref name="logger"/> (optional).</summary>
    public SphereTrainer(ILogger<SphereTrainer>? logger = null)
    {
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>
    /// Trains <paramref name="model"/> in place and returns the outcome. With <see cref="TrainingOptions.CheckpointPath"/>
    /// set, checkpoints are written every <see cref="TrainingOptions.CheckpointEverySteps"/> steps and when training
    /// stops, and an existing checkpoint of the same run is continued (<see cref="TrainingOptions.Resume"/>).
    /// </summary>
    /// <param name="model">The model; its device and dtype are used throughout.</param>
    /// <param name="training">Training samples.</param>
    /// <param name="validation">Validation samples for early stopping and the best model, or null.</param>
    /// <param name="options">Settings.</param>
    /// <param name="progress">Receives events in order, or null.</param>
    /// <param name="cancellationToken">Checked before every step and validation batch; on cancellation a checkpoint
    /// of the last completed step is written, then <see cref="OperationCanceledException"/> is thrown.</param>
    /// <exception cref="ArgumentException">Bad options or datasets that do not fit the model.</exception>
    /// <exception cref="InvalidOperationException">The checkpoint belongs to a different model or run settings.</exception>
    /// <exception cref="InvalidDataException">The checkpoint file is corrupt.</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient became NaN or infinite.</exception>
    public Task<TrainingResult> TrainAsync(
        SphereModel model,
        ISphereDataset training,
        ISphereDataset? validation,
        TrainingOptions options,
        IProgress<TrainingEvent>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(model.Config.OutputChannels);
        DatasetChecks.Check(training, model.Config, "training");
        if (validation is not null)
        {
            DatasetChecks.Check(validation, model.Config, "validation");
        }

        string metric = options.ValidationMetric ?? TaskMetrics.DefaultMetric(model.Config.Task);
        if (!TaskMetrics.IsReported(metric, model.Config))
        {
            throw new ArgumentException(
                $"validation_metric '{metric}' is not reported for a {model.Config.Task.ToName()} model with {model.Config.OutputChannels} outputs.",
                nameof(options));
        }

        Run run = new(this, model, training, validation, options, metric, progress, cancellationToken);
        return Task.Factory.StartNew(run.Execute, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>One training run: its fixed plan and its mutable state.</summary>
    private sealed class Run
    {
        private readonly SphereTrainer _owner;
        private readonly SphereModel _model;
        private readonly ISphereDataset _training;
        private readonly ISphereDataset? _validation;
        private readonly TrainingOptions _options;
        private readonly string _metric;
        private readonly IProgress<TrainingEvent>? _progress;
        private readonly CancellationToken _cancellationToken;
        private readonly int _stepsPerEpoch;
        private readonly long _totalSteps;
        private readonly long _warmupSteps;
        private readonly string _fingerprint;
        private readonly Stopwatch _attemptClock = new();
        private TrainingState _state = new();
        private Dictionary<string, Tensor>? _best;
        private bool _resumed;
        private double _baseElapsedSeconds;
        private double _stepSecondsAverage;
        private double _validationSeconds;
        private int _orderEpoch = -1;
        private int[] _order = [];

        public Run(
            SphereTrainer owner, SphereModel model, ISphereDataset training, ISphereDataset? validation, TrainingOptions options, string metric,
            IProgress<TrainingEvent>? progress, CancellationToken cancellationToken)
        {
            _owner = owner;
            _model = model;
            _training = training;
            _validation = validation;
            _options = options;
            _metric = metric;
            _progress = progress;
            _cancellationToken = cancellationToken;
            _stepsPerEpoch = (training.Count + options.BatchSize - 1) / options.BatchSize;
            long planned = (long)options.Epochs * _stepsPerEpoch;
            _totalSteps = options.MaxSteps > 0 ? Math.Min(planned, options.MaxSteps) : planned;
            _warmupSteps = LearningRateSchedule.WarmupFor(options.WarmupSteps, _totalSteps);
            _fingerprint = Fingerprint();
        }

        private ILogger Logger => _owner._logger;

        private double ElapsedSeconds => _baseElapsedSeconds + _attemptClock.Elapsed.TotalSeconds;

        private int CurrentEpoch => (int)Math.Min(_options.Epochs, (_state.Step + _stepsPerEpoch - 1) / _stepsPerEpoch);

        public TrainingResult Execute()
        {
            _attemptClock.Start();
            (List<Parameter> decay, List<Parameter> noDecay) = PartitionParameters();
            using DecoupledAdamW optimizer = new([(decay, _options.WeightDecay), (noDecay, 0.0)]);
            bool resumed = TryResume(optimizer);
            if (!resumed && _options.ComputeStatistics)
            {
                _model.InputStatistics = DatasetStatistics.Inputs(_training);
                if (_model.Config.Task != ModelTask.Segmentation)
                {
                    _model.TargetStatistics = DatasetStatistics.Targets(_training, _model.Config.Task);
                }
            }

            Report(new TrainingEvent(TrainingEventKind.Started, resumed
                ? $"Resumed at step {_state.Step} of {_totalSteps}."
                : $"Training {_model.Config.Architecture.ToName()} ({_model.ParameterCount:N0} parameters) for {_totalSteps} steps.")
            { Epoch = CurrentEpoch, TotalEpochs = _options.Epochs, Step = _state.Step, TotalSteps = _totalSteps, Elapsed = TimeSpan.FromSeconds(ElapsedSeconds) });
            Logger.LogInformation(
                "Training {Architecture} on {Grid}: {Samples} samples, {Steps} steps, batch {Batch}, {Resumed}",
                _model.Config.Architecture.ToName(), _model.Grid, _training.Count, _totalSteps, _options.BatchSize, resumed ? $"resumed at step {_state.Step}" : "fresh");

            bool timedOut = false;
            try
            {
                _model.train();
                while (true)
                {
                    _cancellationToken.ThrowIfCancellationRequested();
                    if (_state.EarlyStopped)
                    {
                        // Also when resuming a run that had already stopped early.
                        break;
                    }

                    if (ValidationDue())
                    {
                        ValidateNow();
                        continue;
                    }

                    if (_state.Step >= _totalSteps)
                    {
                        break;
                    }

                    if (_options.TimeLimit is TimeSpan limit && ElapsedSeconds >= limit.TotalSeconds)
                    {
                        timedOut = true;
                        break;
                    }

                    TakeStep(optimizer);
                    if (_options.CheckpointPath is not null && _state.Step % _options.CheckpointEverySteps == 0)
                    {
                        SaveCheckpoint(optimizer);
                    }
                }
            }
            catch (OperationCanceledException) when (_cancellationToken.IsCancellationRequested)
            {
                if (_options.CheckpointPath is not null)
                {
                    SaveCheckpoint(optimizer);
                }

                Logger.LogInformation("Training cancelled after step {Step}; checkpoint {Path}", _state.Step, _options.CheckpointPath ?? "(none)");
                TensorDictionary.Dispose(_best);
                throw;
            }
            catch
            {
                TensorDictionary.Dispose(_best);
                throw;
            }

            if (_options.CheckpointPath is not null)
            {
                SaveCheckpoint(optimizer);
            }

            return Finish(timedOut);
        }

        private TrainingResult Finish(bool timedOut)
        {
            bool restored = false;
            if (_options.RestoreBestWeights && _best is not null)
            {
                TensorDictionary.LoadInto(_model, _best);
                restored = true;
            }

            TensorDictionary.Dispose(_best);
            ISphereDataset finalData = _validation ?? _training;
            IReadOnlyDictionary<string, double> final = SphereEvaluator.Evaluate(
                _model, finalData, new EvaluationOptions { BatchSize = _options.EvaluationBatchSize, Loss = _options.Loss }, _cancellationToken);
            _model.train();
            StopReason reason = _state.EarlyStopped ? StopReason.EarlyStopped
                : timedOut ? StopReason.TimeLimit
                : _options.MaxSteps > 0 && _totalSteps == _options.MaxSteps && _totalSteps < (long)_options.Epochs * _stepsPerEpoch ? StopReason.MaxSteps
                : StopReason.Completed;
            TimeSpan elapsed = TimeSpan.FromSeconds(ElapsedSeconds);
            Report(new TrainingEvent(TrainingEventKind.Finished, $"Finished ({reason}) after {_state.Step} steps: {Describe(final)}")
            {
                Epoch = CurrentEpoch,
                TotalEpochs = _options.Epochs,
                Step = _state.Step,
                TotalSteps = _totalSteps,
                Metrics = final,
                Elapsed = elapsed,
                Eta = TimeSpan.Zero,
            });
            Logger.LogInformation("Training finished ({Reason}) after {Steps} steps in {Seconds:F1} s: {Metrics}", reason, _state.Step, elapsed.TotalSeconds, Describe(final));
            return new TrainingResult
            {
                StopReason = reason,
                Steps = _state.Step,
                TotalSteps = _totalSteps,
                Resumed = _resumed,
                ValidationMetric = _metric,
                BestMetric = _state.BestMetric,
                BestEpoch = _state.BestEpoch,
                RestoredBestWeights = restored,
                FinalMetrics = final,
                FinalMetricsSource = _validation is null ? "training" : "validation",
                StepLosses = [.. _state.StepLosses],
                Validations = [.. _state.Validations],
                Elapsed = elapsed,
            };
        }

        private bool TryResume(DecoupledAdamW optimizer)
        {
            string? path = _options.CheckpointPath;
            if (path is null || !_options.Resume || !File.Exists(path))
            {
                return false;
            }

            using TrainingCheckpoint checkpoint = TrainingCheckpoint.Read(path);
            if (!checkpoint.Config.Equals(_model.Config))
            {
                throw new InvalidOperationException(
                    $"The checkpoint {path} belongs to a different model configuration; delete it or set resume = false to start over.");
            }

            if (checkpoint.Fingerprint != _fingerprint)
            {
                throw new InvalidOperationException(
                    $"The checkpoint {path} was written with different run settings ({FingerprintDifference(checkpoint.Fingerprint, _fingerprint)}); " +
                    "use the original settings, or delete it / set resume = false to start over.");
            }

            try
            {
                TensorDictionary.LoadInto(_model, checkpoint.Weights);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"The checkpoint {path} does not fit the model: {e.Message}", e);
            }

            try
            {
                optimizer.Load(checkpoint.OptimizerState);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"The checkpoint {path} does not fit the model: {e.Message}", e);
            }

            _best = checkpoint.TakeBestWeights();
            _state = checkpoint.State;
            _baseElapsedSeconds = _state.ElapsedSeconds;
            _resumed = true;
            return true;
        }

        private void TakeStep(DecoupledAdamW optimizer)
        {
            long step = _state.Step;
            int epoch = (int)(step / _stepsPerEpoch);
            int batchIndex = (int)(step % _stepsPerEpoch);
            if (_orderEpoch != epoch)
            {
                _order = SeededRandom.Permutation(_training.Count, SeededRandom.Mix(_options.Seed, SeededRandom.OrderStream, (ulong)epoch));
                _orderEpoch = epoch;
            }

            int first = batchIndex * _options.BatchSize;
            int[] ids = _order[first..Math.Min(_training.Count, first + _options.BatchSize)];
            double learningRate = LearningRateSchedule.At(step, _totalSteps, _warmupSteps, _options.LearningRate, _options.MinLearningRateFraction);
            Stopwatch clock = Stopwatch.StartNew();
            double lossValue, gradientNorm;
            using (DisposeScope scope = NewDisposeScope())
            {
                SphereSample[] samples = ids.Select(_training.Get).ToArray();
                GridRotation?[] rotations = Enumerable.Range(0, ids.Length)
                    .Select(slot => RotationSampler.Draw(
                        _options.Rotation, _model.Grid, new SeededRandom(SeededRandom.Mix(_options.Seed, SeededRandom.AugmentStream, (ulong)step, (ulong)slot))))
                    .ToArray();
                using SphereBatch batch = SphereBatch.Create(samples, ids, _model.Config, _model.Device, rotations);
                optimizer.ZeroGrad();
                Tensor raw = _model.forward(batch.Input.to(optimizer.Parameters.First().dtype));
                Tensor loss = TaskLoss.Compute(_model, raw, batch, _options.Loss);
                lossValue = loss.ToDouble();
                if (!double.IsFinite(lossValue))
                {
                    throw new TrainingDivergedException(
                        $"Step {step + 1}: the loss is {lossValue}. Lower the learning rate (now {learningRate:G3}), check the inputs for extreme values, or keep gradient clipping on.");
                }

                loss.backward();

                // With clipping off, clipping at +∞ still returns the norm without changing the gradients.
                gradientNorm = optimizer.ClipGradientNorm(_options.GradientClipNorm > 0 ? _options.GradientClipNorm : double.PositiveInfinity);
                if (!double.IsFinite(gradientNorm))
                {
                    throw new TrainingDivergedException(
                        $"Step {step + 1}: the gradient norm is {gradientNorm}. Lower the learning rate (now {learningRate:G3}) or check the data.");
                }

                optimizer.Step(learningRate);
            }

            double seconds = clock.Elapsed.TotalSeconds;
            _stepSecondsAverage = _stepSecondsAverage == 0 ? seconds : 0.8 * _stepSecondsAverage + 0.2 * seconds;
            _state.Step = step + 1;
            _state.StepLosses.Add(lossValue);
            _state.ElapsedSeconds = ElapsedSeconds;
            Logger.LogDebug("Step {Step}/{Total}: loss {Loss:G5}, lr {LearningRate:G3}, |g| {GradientNorm:G3}", _state.Step, _totalSteps, lossValue, learningRate, gradientNorm);
            if (_state.Step % _options.ProgressEverySteps == 0 || _state.Step == _totalSteps)
            {
                Report(new TrainingEvent(TrainingEventKind.Step, string.Create(CultureInfo.InvariantCulture, $"Step {_state.Step}/{_totalSteps}, epoch {epoch + 1}/{_options.Epochs}: loss {lossValue:G4}"))
                {
                    Epoch = epoch + 1,
                    TotalEpochs = _options.Epochs,
                    Step = _state.Step,
                    TotalSteps = _totalSteps,
                    Loss = lossValue,
                    LearningRate = learningRate,
                    GradientNorm = gradientNorm,
                    SamplesPerSecond = ids.Length / Math.Max(_stepSecondsAverage, 1e-9),
                    Elapsed = TimeSpan.FromSeconds(ElapsedSeconds),
                    Eta = Eta(),
                });
            }
        }

        private bool ValidationDue()
        {
            if (_validation is null || _state.Step == 0 || _state.LastValidatedStep == _state.Step)
            {
                return false;
            }

            bool epochEnd = _state.Step % _stepsPerEpoch == 0 && (_state.Step / _stepsPerEpoch) % _options.ValidateEveryEpochs == 0;
            return epochEnd || _state.Step >= _totalSteps;
        }

        private void ValidateNow()
        {
            Stopwatch clock = Stopwatch.StartNew();
            Dictionary<string, double> metrics = new(SphereEvaluator.Evaluate(
                _model, _validation!, new EvaluationOptions { BatchSize = _options.EvaluationBatchSize, Loss = _options.Loss }, _cancellationToken));
            _model.train();
            _validationSeconds = clock.Elapsed.TotalSeconds;
            int epoch = CurrentEpoch;
            int epochSteps = (int)(_state.Step - ((long)(epoch - 1) * _stepsPerEpoch));
            double trainingLoss = _state.StepLosses.Skip(Math.Max(0, _state.StepLosses.Count - epochSteps)).DefaultIfEmpty(double.NaN).Average();
            double value = metrics.TryGetValue(_metric, out double v) ? v : double.NaN;
            bool higherIsBetter = TaskMetrics.HigherIsBetter(_metric);
            double loss = metrics.TryGetValue("loss", out double l) ? l : double.NaN;

            // A tie on the metric (mIoU often saturates at 1 on easy data) is broken by the validation loss.
            bool improved = double.IsFinite(value) &&
                (_state.BestMetric is not double best || (higherIsBetter ? value > best : value < best) ||
                 (value == best && _metric != "loss" && loss < _state.BestLoss));
            if (improved)
            {
                _state.BestMetric = value;
                _state.BestLoss = double.IsFinite(loss) ? loss : double.PositiveInfinity;
                _state.BestEpoch = epoch;
                _state.ValidationsWithoutImprovement = 0;
                if (_options.RestoreBestWeights)
                {
                    TensorDictionary.Dispose(_best);
                    _best = TensorDictionary.Snapshot(_model);
                }
            }
            else
            {
                _state.ValidationsWithoutImprovement++;
                _state.EarlyStopped = _options.EarlyStoppingPatience > 0 && _state.ValidationsWithoutImprovement >= _options.EarlyStoppingPatience;
            }

            _state.LastValidatedStep = _state.Step;
            _state.Validations.Add(new EpochRecord(epoch, _state.Step, trainingLoss, metrics));
            _state.ElapsedSeconds = ElapsedSeconds;
            string message = string.Create(CultureInfo.InvariantCulture, $"Validation after epoch {epoch}: {Describe(metrics)}{(improved ? " (best)" : "")}{(_state.EarlyStopped ? "; stopping early" : "")}");
            Logger.LogInformation("{Message}", message);
            Report(new TrainingEvent(TrainingEventKind.Validated, message)
            {
                Epoch = epoch,
                TotalEpochs = _options.Epochs,
                Step = _state.Step,
                TotalSteps = _totalSteps,
                Loss = trainingLoss,
                Metrics = metrics,
                Elapsed = TimeSpan.FromSeconds(ElapsedSeconds),
                Eta = Eta(),
            });
        }

        private void SaveCheckpoint(DecoupledAdamW optimizer)
        {
            _state.ElapsedSeconds = ElapsedSeconds;
            TrainingCheckpoint.Write(_options.CheckpointPath!, _model, optimizer, _fingerprint, _state, _best);
            Logger.LogDebug("Checkpoint at step {Step}: {Path}", _state.Step, _options.CheckpointPath);
            Report(new TrainingEvent(TrainingEventKind.CheckpointSaved, $"Checkpoint at step {_state.Step}: {_options.CheckpointPath}")
            {
                Epoch = CurrentEpoch,
                TotalEpochs = _options.Epochs,
                Step = _state.Step,
                TotalSteps = _totalSteps,
                Elapsed = TimeSpan.FromSeconds(ElapsedSeconds),
                Eta = Eta(),
            });
        }

        private TimeSpan? Eta()
        {
            if (_stepSecondsAverage <= 0)
            {
                return null;
            }

            long remainingSteps = _totalSteps - _state.Step;
            long remainingValidations = _validation is null ? 0
                : (_totalSteps / _stepsPerEpoch / _options.ValidateEveryEpochs) - (_state.Step / _stepsPerEpoch / _options.ValidateEveryEpochs) + 1;
            double seconds = remainingSteps * _stepSecondsAverage + Math.Max(0, remainingValidations) * _validationSeconds;
            if (_options.TimeLimit is TimeSpan limit)
            {
                seconds = Math.Min(seconds, Math.Max(0, limit.TotalSeconds - ElapsedSeconds));
            }

            return TimeSpan.FromSeconds(seconds);
        }

        private void Report(TrainingEvent value) => _progress?.Report(value);

        private (List<Parameter> Decay, List<Parameter> NoDecay) PartitionParameters()
        {
            List<Parameter> decay = [], noDecay = [];
            foreach ((string _, Parameter parameter) in _model.named_parameters())
            {
                (parameter.dim() > 1 ? decay : noDecay).Add(parameter);
            }

            return (decay, noDecay);
        }

        private string Fingerprint() => JsonSerializer.Serialize(
            new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["seed"] = _options.Seed,
                ["batch_size"] = _options.BatchSize,
                ["epochs"] = _options.Epochs,
                ["total_steps"] = _totalSteps,
                ["learning_rate"] = _options.LearningRate,
                ["weight_decay"] = _options.WeightDecay,
                ["warmup_steps"] = _warmupSteps,
                ["min_learning_rate_fraction"] = _options.MinLearningRateFraction,
                ["gradient_clip_norm"] = _options.GradientClipNorm,
                ["rotation"] = _options.Rotation.ToString(),
                ["loss"] = JsonSerializer.Serialize(_options.Loss, ModelJson.Compact),
                ["validate_every_epochs"] = _options.ValidateEveryEpochs,
                ["early_stopping_patience"] = _options.EarlyStoppingPatience,
                ["validation_metric"] = _metric,
                ["restore_best_weights"] = _options.RestoreBestWeights,
                ["training_samples"] = _training.Count,
                ["validation_samples"] = _validation?.Count ?? 0,
            },
            ModelJson.Compact);

        private static string FingerprintDifference(string saved, string current)
        {
            Dictionary<string, JsonElement> a = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(saved) ?? [];
            Dictionary<string, JsonElement> b = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(current) ?? [];
            IEnumerable<string> differences = a.Keys.Union(b.Keys)
                .Where(k => !a.TryGetValue(k, out JsonElement x) || !b.TryGetValue(k, out JsonElement y) || x.GetRawText() != y.GetRawText())
                .Select(k => $"{k}: {(a.TryGetValue(k, out JsonElement x) ? x.GetRawText() : "-")} then, {(b.TryGetValue(k, out JsonElement y) ? y.GetRawText() : "-")} now");
            return string.Join("; ", differences);
        }

        private static string Describe(IReadOnlyDictionary<string, double> metrics) =>
            string.Join(", ", metrics.Where(kv => !kv.Key.Contains('_', StringComparison.Ordinal) || kv.Key == "abs_rel")
                .Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:G4}")));
    }
}

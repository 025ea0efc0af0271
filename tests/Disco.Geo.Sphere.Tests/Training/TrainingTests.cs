using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Tests.Data;
using Disco.Geo.Sphere.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Training;

public class TrainingTests
{
    [Theory]
    [InlineData(ModelArchitecture.DiscoUnet)]
    [InlineData(ModelArchitecture.PlanarUnet)]
    public async Task A_tiny_model_learns_to_segment_the_hemispheres(ModelArchitecture architecture)
    {
        InMemorySphereDataset data = SyntheticSpheres.Hemispheres(8, 1);
        (ISphereDataset train, ISphereDataset valid) = DatasetSplit.ByIndices(data, [0, 1, 2, 3, 4, 5], [6, 7]);
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(architecture: architecture), 1);
        EventLog log = new();
        TrainingResult result = await new SphereTrainer().TrainAsync(
            model, train, valid, new TrainingOptions { Epochs = 8, BatchSize = 2, LearningRate = 5e-3 }, log);

        Assert.Equal(StopReason.Completed, result.StopReason);
        Assert.Equal(24, result.Steps);
        double first = result.StepLosses.Take(3).Average(), last = result.StepLosses.TakeLast(3).Average();
        Assert.True(last < 0.5 * first, $"loss {first:F3} → {last:F3}");
        Assert.True(result.FinalMetrics["miou"] > 0.9, $"validation mIoU {result.FinalMetrics["miou"]:F3}");
        Assert.Equal("validation", result.FinalMetricsSource);

        // Events: started first, finished last, a step event per step with rising fraction and an ETA.
        Assert.Equal(TrainingEventKind.Started, log.Events[0].Kind);
        Assert.Equal(TrainingEventKind.Finished, log.Events[^1].Kind);
        TrainingEvent[] steps = log.Events.Where(e => e.Kind == TrainingEventKind.Step).ToArray();
        Assert.Equal(24, steps.Length);
        Assert.True(steps.Zip(steps.Skip(1)).All(p => p.Second.Fraction > p.First.Fraction));
        Assert.All(steps, e => Assert.True(e.Eta is not null && e.SamplesPerSecond > 0 && e.LearningRate > 0 && e.Loss is not null));
        Assert.Equal(8, log.Events.Count(e => e.Kind == TrainingEventKind.Validated));
        Assert.Equal(["gradient_norm", "learning_rate", "loss"], steps[0].Scalars.Keys.Order());
        TrainingEvent validated = log.Events.First(e => e.Kind == TrainingEventKind.Validated);
        Assert.Contains("validation_loss", validated.Scalars.Keys);
        Assert.Contains("miou", validated.Scalars.Keys);
        Assert.Equal(1.0, steps[^1].Fraction);
    }

    [Fact]
    public async Task An_absolute_threshold_learned_on_some_globes_transfers_to_others()
    {
        InMemorySphereDataset train = SyntheticSpheres.Thresholds(8, 11);
        InMemorySphereDataset test = SyntheticSpheres.Thresholds(4, 12);
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 3);
        TrainingResult result = await new SphereTrainer().TrainAsync(
            model, train, test, new TrainingOptions { Epochs = 8, BatchSize = 2, LearningRate = 5e-3 });
        Assert.True(result.FinalMetrics["miou"] > 0.85, $"test mIoU {result.FinalMetrics["miou"]:F3}");
    }

    [Fact]
    public async Task A_regression_model_learns_a_smooth_field_in_its_units()
    {
        InMemorySphereDataset data = SyntheticSpheres.SmoothRegression(6, 2);
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Regression, 1), 2);
        TrainingResult result = await new SphereTrainer().TrainAsync(
            model, data, null, new TrainingOptions { Epochs = 25, BatchSize = 2, LearningRate = 1e-2 });

        // The statistics came from the data; predictions are in the target's units.
        Assert.InRange(model.TargetStatistics.Mean[0], 900, 1100);
        Assert.Equal("training", result.FinalMetricsSource);
        double std = model.TargetStatistics.Std[0];
        Assert.True(result.FinalMetrics["rmse"] < 0.3 * std, $"rmse {result.FinalMetrics["rmse"]:F1} vs target std {std:F1}");
    }

    [Fact]
    public async Task A_depth_model_trains_with_the_scale_invariant_loss()
    {
        InMemorySphereDataset data = SyntheticSpheres.SmoothRegression(4, 3, depth: true);
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Depth, 1), 3);
        TrainingResult result = await new SphereTrainer().TrainAsync(
            model, data, data, new TrainingOptions { Epochs = 8, BatchSize = 2, LearningRate = 5e-3 });
        Assert.True(result.StepLosses[^1] < result.StepLosses[0]);
        Assert.True(result.FinalMetrics["abs_rel"] < 0.2, $"abs_rel {result.FinalMetrics["abs_rel"]:F3}");
        Assert.InRange(result.FinalMetrics["delta1"], 0.5, 1.0);
    }

    [Fact]
    public async Task Resuming_after_a_cancellation_reproduces_the_uninterrupted_run_bit_for_bit()
    {
        InMemorySphereDataset data = SyntheticSpheres.Hemispheres(6, 4);
        (ISphereDataset train, ISphereDataset valid) = DatasetSplit.ByIndices(data, [0, 1, 2, 3, 4], [5]);
        string directory = SyntheticSpheres.TemporaryDirectory();
        TrainingOptions Options(string checkpoint) => new()
        {
            Epochs = 4,
            BatchSize = 2,
            LearningRate = 3e-3,
            Seed = 11,
            Rotation = RotationAugmentation.SO3,
            CheckpointPath = Path.Combine(directory, checkpoint),
            CheckpointEverySteps = 4,
        };

        using SphereModel reference = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 9);
        TrainingResult uninterrupted = await new SphereTrainer().TrainAsync(reference, train, valid, Options("a.ckpt"));

        // Same run, cancelled from inside the 5th step's progress report: it must stop there and leave a checkpoint.
        using SphereModel interrupted = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 9);
        using CancellationTokenSource cancel = new();
        EventLog log = new(e =>
        {
            if (e.Kind == TrainingEventKind.Step && e.Step == 5)
            {
                cancel.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new SphereTrainer().TrainAsync(interrupted, train, valid, Options("b.ckpt"), log, cancel.Token));
        Assert.Equal(5, log.Events.Where(e => e.Kind == TrainingEventKind.Step).Max(e => e.Step));
        using (TrainingCheckpoint checkpoint = TrainingCheckpoint.Read(Path.Combine(directory, "b.ckpt")))
        {
            Assert.Equal(5, checkpoint.State.Step);
        }

        // A fresh process would build the model with any seed: the checkpoint supplies weights, moments and counters.
        using SphereModel resumedModel = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 12345);
        TrainingResult resumed = await new SphereTrainer().TrainAsync(resumedModel, train, valid, Options("b.ckpt"));

        Assert.True(resumed.Resumed);
        Assert.Equal(uninterrupted.StepLosses, resumed.StepLosses);
        Assert.Equal(uninterrupted.FinalMetrics, resumed.FinalMetrics);
        Assert.Equal(uninterrupted.Validations.Select(v => v.Metrics["loss"]), resumed.Validations.Select(v => v.Metrics["loss"]));
        foreach (((string name, Tensor a), Tensor b) in reference.state_dict().Zip(resumedModel.state_dict().Values))
        {
            Assert.True(a.equal(b).all().item<bool>(), $"{name} differs after resume");
        }

        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_checkpoint_of_other_settings_or_a_damaged_one_is_refused_clearly()
    {
        InMemorySphereDataset data = SyntheticSpheres.Hemispheres(2, 5);
        string directory = SyntheticSpheres.TemporaryDirectory();
        string path = Path.Combine(directory, "run.ckpt");
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 1);
        TrainingOptions options = new() { Epochs = 1, BatchSize = 1, CheckpointPath = path };
        await new SphereTrainer().TrainAsync(model, data, null, options);
        Assert.True(File.Exists(path));
        Assert.Empty(Directory.GetFiles(directory, "*.tmp"));

        InvalidOperationException mismatch = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            new SphereTrainer().TrainAsync(model, data, null, options with { BatchSize = 2 }));
        Assert.Contains("batch_size: 1 then, 2 now", mismatch.Message, StringComparison.Ordinal);

        using SphereModel other = SphereModelFactory.Create(SyntheticSpheres.TinyConfig() with { Channels = [4, 8] });
        await Assert.ThrowsAsync<InvalidOperationException>(() => new SphereTrainer().TrainAsync(other, data, null, options));

        byte[] bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(path, bytes);
        InvalidDataException corrupt = await Assert.ThrowsAsync<InvalidDataException>(() => new SphereTrainer().TrainAsync(model, data, null, options));
        Assert.Contains("corrupt or truncated", corrupt.Message, StringComparison.Ordinal);

        // Resume = false starts over and replaces the damaged file.
        TrainingResult fresh = await new SphereTrainer().TrainAsync(model, data, null, options with { Resume = false });
        Assert.False(fresh.Resumed);
        using TrainingCheckpoint reread = TrainingCheckpoint.Read(path);
        Assert.Equal(2, reread.State.Step);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_checkpoint_of_the_old_format_with_TorchSharps_optimizer_state_is_refused_clearly()
    {
        InMemorySphereDataset data = SyntheticSpheres.Hemispheres(2, 5);
        string directory = SyntheticSpheres.TemporaryDirectory();
        string path = Path.Combine(directory, "run.ckpt");
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 1);
        TrainingOptions options = new() { Epochs = 1, BatchSize = 1, CheckpointPath = path };
        await new SphereTrainer().TrainAsync(model, data, null, options);

        // Format 1 stored TorchSharp's AdamW state; this build reads only its own (format 2).
        byte[] bytes = await File.ReadAllBytesAsync(path);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 1);
        await File.WriteAllBytesAsync(path, bytes);
        InvalidDataException old = await Assert.ThrowsAsync<InvalidDataException>(() => new SphereTrainer().TrainAsync(model, data, null, options));
        Assert.Contains("version 1 checkpoint; this build reads version 2", old.Message, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Early_stopping_restores_the_best_weights()
    {
        // Validation labels are the opposite of the training labels: the better the fit, the worse the validation.
        InMemorySphereDataset train = SyntheticSpheres.Hemispheres(4, 6);
        InMemorySphereDataset valid = SyntheticSpheres.Hemispheres(2, 7, flipLabels: true);
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 2);
        string directory = SyntheticSpheres.TemporaryDirectory();
        TrainingOptions options = new()
        {
            Epochs = 20,
            BatchSize = 2,
            LearningRate = 5e-3,
            EarlyStoppingPatience = 2,
            ValidationMetric = "loss",
            CheckpointPath = Path.Combine(directory, "early.ckpt"),
        };
        TrainingResult result = await new SphereTrainer().TrainAsync(model, train, valid, options);

        Assert.Equal(StopReason.EarlyStopped, result.StopReason);
        Assert.True(result.Steps < 40);
        Assert.True(result.RestoredBestWeights);
        Assert.Equal(result.BestEpoch, result.Validations.MinBy(v => v.Metrics["loss"])!.Epoch);
        Assert.Equal(result.BestMetric!.Value, result.FinalMetrics["loss"], 5);

        // Resuming a run that stopped early does not train further.
        TrainingResult again = await new SphereTrainer().TrainAsync(model, train, valid, options);
        Assert.True(again.Resumed);
        Assert.Equal(StopReason.EarlyStopped, again.StopReason);
        Assert.Equal(result.Steps, again.Steps);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_time_limit_stops_training_with_a_checkpoint()
    {
        InMemorySphereDataset data = SyntheticSpheres.Hemispheres(2, 8);
        string directory = SyntheticSpheres.TemporaryDirectory();
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 1);
        TrainingResult result = await new SphereTrainer().TrainAsync(model, data, null, new TrainingOptions
        {
            Epochs = 1000,
            BatchSize = 1,
            TimeLimit = TimeSpan.FromMilliseconds(1),
            CheckpointPath = Path.Combine(directory, "t.ckpt"),
        });
        Assert.Equal(StopReason.TimeLimit, result.StopReason);
        Assert.True(result.Steps <= 1);
        Assert.True(File.Exists(Path.Combine(directory, "t.ckpt")));
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Native_memory_stays_flat_over_many_steps()
    {
        InMemorySphereDataset data = SyntheticSpheres.Hemispheres(4, 9);
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 1);
        Dictionary<long, long> liveTensors = [];

        // Progress is reported on the training thread, whose dispose-scope statistics count only its own tensors.
        EventLog log = new(e =>
        {
            if (e.Kind == TrainingEventKind.Step)
            {
                liveTensors[e.Step] = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            }
        });
        await new SphereTrainer().TrainAsync(model, data, data, new TrainingOptions
        {
            Epochs = 75,
            BatchSize = 2,
            Rotation = RotationAugmentation.SO3,
            ValidateEveryEpochs = 5,
        }, log);

        // From step 20 on, the optimizer's moments and the best-weights snapshot exist; nothing else may accumulate.
        Assert.Equal(150, liveTensors.Count);
        long[] counts = liveTensors.Where(kv => kv.Key >= 20).Select(kv => kv.Value).Distinct().ToArray();
        Assert.True(counts.Length == 1, $"live tensors on the training thread vary between steps: {string.Join(", ", counts)}");
    }

    [Fact]
    public async Task Bad_datasets_and_options_are_rejected_before_training_starts()
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 1);
        InMemorySphereDataset data = SyntheticSpheres.Hemispheres(2, 1);
        SphereTrainer trainer = new();
        Assert.Contains("batch_size", (await Assert.ThrowsAsync<ArgumentException>(() => trainer.TrainAsync(model, data, null, new TrainingOptions { BatchSize = 0 }))).Message, StringComparison.Ordinal);
        Assert.Contains("learning_rate", (await Assert.ThrowsAsync<ArgumentException>(() => trainer.TrainAsync(model, data, null, new TrainingOptions { LearningRate = double.NaN }))).Message, StringComparison.Ordinal);
        Assert.Contains("validation_metric 'rmse'", (await Assert.ThrowsAsync<ArgumentException>(() => trainer.TrainAsync(model, data, null, new TrainingOptions { ValidationMetric = "rmse" }))).Message, StringComparison.Ordinal);
        Assert.Contains("class_weights", (await Assert.ThrowsAsync<ArgumentException>(() => trainer.TrainAsync(model, data, null, new TrainingOptions { Loss = new() { ClassWeights = [1.0] } }))).Message, StringComparison.Ordinal);
        InMemorySphereDataset otherGrid = SyntheticSpheres.Hemispheres(1, 1, Disco.Geo.Grids.SphereGrid.Create(Disco.Geo.Grids.GridKind.Equiangular, 9, 16));
        Assert.Contains("ingest the data onto the model's grid", (await Assert.ThrowsAsync<ArgumentException>(() => trainer.TrainAsync(model, otherGrid, null, new TrainingOptions()))).Message, StringComparison.Ordinal);

        using SphereModel threeClasses = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Regression, 1), 1);
        Assert.Contains("no value targets", (await Assert.ThrowsAsync<ArgumentException>(() => trainer.TrainAsync(threeClasses, data, null, new TrainingOptions { Epochs = 1 }))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_diverging_run_stops_with_advice()
    {
        int nodes = 17 * 32;
        float[] huge = Enumerable.Repeat(3e38f, 2 * nodes).ToArray();
        InMemorySphereDataset data = new(SyntheticSpheres.Grid, [SphereSample.ForSegmentation(huge, new int[nodes], 17, 32)]);
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 1);
        TrainingDivergedException e = await Assert.ThrowsAsync<TrainingDivergedException>(() =>
            new SphereTrainer().TrainAsync(model, data, null, new TrainingOptions { Epochs = 1, BatchSize = 1, ComputeStatistics = false }));
        Assert.Contains("Lower the learning rate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_schedule_warms_up_linearly_then_follows_a_cosine_to_its_floor()
    {
        Assert.Equal(0.25, LearningRateSchedule.At(0, 100, 4, 1.0, 0.1), 12);
        Assert.Equal(1.0, LearningRateSchedule.At(3, 100, 4, 1.0, 0.1), 12);
        Assert.Equal(1.0, LearningRateSchedule.At(4, 100, 4, 1.0, 0.1), 12);
        Assert.Equal(0.55, LearningRateSchedule.At(52, 100, 4, 1.0, 0.1), 12);
        Assert.Equal(0.1, LearningRateSchedule.At(100, 100, 4, 1.0, 0.1), 12);
        Assert.Equal(5, LearningRateSchedule.WarmupFor(null, 100));
        Assert.Equal(1, LearningRateSchedule.WarmupFor(null, 3));
    }
}

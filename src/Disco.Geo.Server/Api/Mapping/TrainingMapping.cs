using Disco.Geo.Engine;
using Disco.Geo.Protos.V1;
using Disco.Geo.Sphere.Models;
using Google.Protobuf;

namespace Disco.Geo.Server.Api.Mapping;

/// <summary>A training request as the training engine sees it.</summary>
internal static class TrainingMapping
{
    /// <summary>Maps the request; zero fields stay zero (the engine takes the library's defaults for them).</summary>
    /// <exception cref="EngineInputException">model.grid names a grid that cannot be built.</exception>
    public static TrainingRequest ToEngine(StartTrainingRequest request)
    {
        Protos.V1.ModelConfig model = request.Model ?? new Protos.V1.ModelConfig();
        HyperParameters hp = request.HyperParameters ?? new HyperParameters();
        return new TrainingRequest
        {
            ModelName = request.ModelName,
            Task = request.Task switch
            {
                TrainingTask.Segmentation => ModelTask.Segmentation,
                TrainingTask.Regression => ModelTask.Regression,
                TrainingTask.Depth => ModelTask.Depth,
                _ => null,
            },
            Device = request.Device,
            Model = new ModelRequest
            {
                Grid = model.Grid is { Nlat: > 0 } grid ? GridMapping.ToSphereGrid(grid) : null,
                Architecture = model.Architecture == Architecture.PlanarUnet ? ModelArchitecture.PlanarUnet : ModelArchitecture.DiscoUnet,
                Levels = model.Levels,
                BaseChannels = model.BaseChannels,
                BlocksPerLevel = model.BlocksPerLevel,
                KernelShape = [.. model.KernelShape],
                Basis = model.Basis,
                CutoffRadians = model.CutoffRadians,
                ClassNames = [.. model.ClassNames],
            },
            HyperParameters = new TrainingSettings
            {
                Epochs = hp.Epochs,
                BatchSize = hp.BatchSize,
                LearningRate = hp.LearningRate,
                WeightDecay = hp.WeightDecay,
                WarmupSteps = hp.WarmupSteps,
                GradientClipNorm = hp.GradientClipNorm,
                Seed = hp.Seed,
                Rotation = hp.Rotation switch
                {
                    Protos.V1.RotationAugmentation.Z => Sphere.Data.RotationAugmentation.ZRoll,
                    Protos.V1.RotationAugmentation.So3 => Sphere.Data.RotationAugmentation.SO3,
                    _ => Sphere.Data.RotationAugmentation.None,
                },
                CheckpointEverySteps = hp.CheckpointEverySteps,
                EarlyStoppingPatience = hp.EarlyStoppingPatience,
                ValidationFraction = hp.ValidationFraction,
                TimeLimitSeconds = hp.TimeLimitSeconds,
            },
            TrainingTime = ToWindow(request.TrainTimeRange),
            ValidationTime = ToWindow(request.ValidationTimeRange),
            RequestJson = JsonFormatter.Default.Format(request),
        };
    }

    /// <summary>A set range as a window; null when unset (both ends unset).</summary>
    public static TimeWindow? ToWindow(Protos.V1.TimeRange? range) =>
        range is null || (range.Start is null && range.End is null)
            ? null
            : new TimeWindow(range.Start?.ToDateTime() ?? DateTime.MinValue, range.End?.ToDateTime() ?? DateTime.MaxValue);
}

using Disco.Geo.Grids;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Training;

namespace Disco.Geo.Engine.Training;

/// <summary>
/// The API's training request mapped onto the training engine. Unset (zero) fields take the library's defaults, the
/// one place they are stated (<see cref="ModelConfig"/> and <see cref="TrainingOptions"/>): the DISCO U-Net with
/// as many of its default levels as the grid can be halved into, on the training datasets' grid (a planar U-Net without
/// base_channels is sized to the DISCO U-Net's parameter count); no early stopping, no hold-out and no time limit.
/// </summary>
internal sealed record TrainingPlan(ModelConfig Config, TrainingOptions Options, long Seed)
{
    /// <summary>Builds the plan.</summary>
    /// <param name="request">The request.</param>
    /// <param name="grid">The training datasets' grid.</param>
    /// <param name="inputs">Input bands.</param>
    /// <param name="outputs">Classes (segmentation), target bands (regression) or 1 (depth).</param>
    /// <param name="checkpointPath">The checkpoint file in the job's working directory.</param>
    /// <param name="resume">Continue from the checkpoint (a resumed attempt).</param>
    /// <exception cref="EngineInputException">A field the engine cannot use, with what to change.</exception>
    public static TrainingPlan Create(TrainingRequest request, SphereGrid grid, int inputs, int outputs, string checkpointPath, bool resume)
    {
        ModelRequest model = request.Model;
        TrainingSettings hp = request.HyperParameters;
        if (model.Grid is { } requested)
        {
            if (!requested.Equals(grid))
            {
                throw new EngineInputException(
                    $"model.grid is {requested} but the training datasets are on {grid}; ingest the datasets onto the model's grid, or leave model.grid unset.", "model.grid");
            }
        }

        ModelTask task = request.Task ?? throw new EngineInputException("task must be segmentation, regression or depth.", "task");
        ModelArchitecture architecture = model.Architecture;
        BasisType basis = BasisType.PiecewiseLinear;
        if (model.Basis.Length > 0)
        {
            try
            {
                basis = BasisTypeNames.Parse(model.Basis);
            }
            catch (ArgumentException e)
            {
                throw new EngineInputException("model.basis: " + e.Message, "model.basis");
            }
        }

        int baseChannels = model.BaseChannels > 0 ? model.BaseChannels : ModelConfig.DefaultBaseChannels;
        int blocks = model.BlocksPerLevel > 0 ? model.BlocksPerLevel : ModelConfig.DefaultBlocksPerLevel;
        // The default cutoff belongs to the default kernel; another kernel shape or basis takes the basis' own default.
        bool defaultKernel = model.KernelShape.Count == 0 && basis == BasisType.PiecewiseLinear;
        ModelConfig Build(int levels)
        {
            ModelConfig created = ModelConfig.Create(task, inputs, outputs, grid, levels, baseChannels, blocks);
            return created with
            {
                Architecture = ModelArchitecture.DiscoUnet,
                KernelShape = model.KernelShape.Count > 0 ? [.. model.KernelShape] : created.KernelShape,
                Basis = basis,
                CutoffRadians = model.CutoffRadians > 0 ? model.CutoffRadians : defaultKernel ? created.CutoffRadians : null,
            };
        }

        ModelConfig config;
        try
        {
            config = model.Levels > 0 ? Build(model.Levels) : Build(DeepestLevels(grid, Build));
            config.Validate();
            if (architecture == ModelArchitecture.PlanarUnet)
            {
                config = model.BaseChannels > 0 ? config with { Architecture = ModelArchitecture.PlanarUnet } : SphereModelFactory.PlanarBaselineFor(config);
                config.Validate();
            }
        }
        catch (ArgumentException e)
        {
            string field = ModelField(e.ParamName, task);
            throw new EngineInputException($"{field}: the model cannot be built on the datasets' grid {grid}: {e.Message}", field);
        }

        var defaults = new TrainingOptions();
        var options = defaults with
        {
            Epochs = hp.Epochs > 0 ? hp.Epochs : defaults.Epochs,
            BatchSize = hp.BatchSize > 0 ? hp.BatchSize : defaults.BatchSize,
            LearningRate = hp.LearningRate > 0 ? hp.LearningRate : defaults.LearningRate,
            WeightDecay = hp.WeightDecay > 0 ? hp.WeightDecay : defaults.WeightDecay,
            WarmupSteps = hp.WarmupSteps > 0 ? hp.WarmupSteps : defaults.WarmupSteps,
            GradientClipNorm = hp.GradientClipNorm > 0 ? hp.GradientClipNorm : defaults.GradientClipNorm,
            Seed = hp.Seed,
            Rotation = hp.Rotation,
            EarlyStoppingPatience = hp.EarlyStoppingPatience,
            TimeLimit = hp.TimeLimitSeconds > 0 ? TimeSpan.FromSeconds(hp.TimeLimitSeconds) : null,
            CheckpointPath = checkpointPath,
            CheckpointEverySteps = hp.CheckpointEverySteps > 0 ? hp.CheckpointEverySteps : defaults.CheckpointEverySteps,
            Resume = resume,
        };
        try
        {
            options.Validate(config.OutputChannels);
        }
        catch (ArgumentException e)
        {
            string field = e.ParamName switch
            {
                nameof(TrainingOptions.TimeLimit) => "hyper_parameters.time_limit_seconds",
                null => "hyper_parameters",
                _ => "hyper_parameters." + SnakeCase(e.ParamName),
            };
            throw new EngineInputException($"{field}: {e.Message}", field);
        }

        return new TrainingPlan(config, options, hp.Seed);
    }

    /// <summary>The API field behind an argument of the model description (ModelConfig.Create, Validate, FilterBasis, GridPyramid).</summary>
    private static string ModelField(string? parameter, ModelTask task) => parameter switch
    {
        "levels" or null => "model.levels",
        "baseChannels" or nameof(ModelConfig.Channels) => "model.base_channels",
        nameof(ModelConfig.Blocks) => "model.blocks_per_level",
        "kernelShape" or nameof(ModelConfig.KernelShape) => "model.kernel_shape",
        "type" or nameof(ModelConfig.Basis) => "model.basis",
        nameof(ModelConfig.CutoffRadians) => "model.cutoff_radians",
        nameof(ModelConfig.Architecture) => "model.architecture",
        nameof(ModelConfig.InputChannels) => "datasets",
        nameof(ModelConfig.OutputChannels) => task == ModelTask.Segmentation ? "model.class_names" : "datasets",
        // The grid pyramid: the grid cannot be halved as often as the levels ask.
        _ => "model.levels",
    };

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>The most levels up to <see cref="ModelConfig.DefaultLevels"/> that the grid can be halved into.</summary>
    private static int DeepestLevels(SphereGrid grid, Func<int, ModelConfig> build)
    {
        for (int levels = ModelConfig.DefaultLevels; levels > 1; levels--)
        {
            try
            {
                build(levels).Validate();
                return levels;
            }
            catch (ArgumentException)
            {
                // Too deep for this grid: try one level fewer.
            }
        }

        return 1;
    }
}

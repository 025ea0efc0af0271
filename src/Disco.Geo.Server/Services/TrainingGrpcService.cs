using System.Globalization;
using System.Text.RegularExpressions;
using Disco.Geo.Engine;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Services;

/// <summary>TrainingService: starting training; its job RPCs are deprecated aliases of JobService.</summary>
internal sealed partial class TrainingGrpcService(
    ICatalog catalog,
    JobRunner runner,
    IJobStore jobs,
    JobHub hub,
    JobWatch watch,
    ITrainingEngine engine,
    IOptions<LimitsOptions> limitOptions,
    IOptions<JobsOptions> jobOptions) : TrainingService.TrainingServiceBase
{
    /// <summary>Why the job RPCs here are kept: v1 clients call them; they serve exactly what JobService serves.</summary>
    private const string JobAlias = "A v1 alias of the JobService RPC of the same name.";

    private readonly JobLifecycle _jobLifecycle = new(runner, jobs, hub, watch);

    public override async Task<Job> StartTraining(StartTrainingRequest request, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        var violations = new List<(string, string)>();
        Validation.AddNameViolation(violations, "model_name", request.ModelName);
        if (request.Datasets.Count == 0)
        {
            violations.Add(("datasets", "must name at least one gridded dataset (id or name)."));
        }

        if (request.Task == TrainingTask.Unspecified || !System.Enum.IsDefined(request.Task))
        {
            violations.Add(("task", "must be segmentation, regression or depth."));
        }

        if (request.Model is { } model)
        {
            if (!System.Enum.IsDefined(model.Architecture))
            {
                violations.Add(("model.architecture", "must be disco-unet or planar-unet."));
            }

            if (model.Levels < 0 || model.BaseChannels < 0 || model.BlocksPerLevel < 0 || model.KernelShape.Any(k => k <= 0) || model.CutoffRadians < 0)
            {
                violations.Add(("model", "levels, base_channels, blocks_per_level and cutoff_radians must be 0 (default) or positive; kernel_shape entries positive."));
            }

            if (model.Grid is not null)
            {
                Validation.AddGridViolations(violations, "model.grid", model.Grid, limitOptions.Value);
            }
        }

        if (request.HyperParameters is { } hp)
        {
            if (hp.Epochs < 0 || hp.BatchSize < 0 || hp.WarmupSteps < 0 || hp.CheckpointEverySteps < 0 || hp.EarlyStoppingPatience < 0 || hp.TimeLimitSeconds < 0)
            {
                violations.Add(("hyper_parameters", "epochs, batch_size, warmup_steps, checkpoint_every_steps, early_stopping_patience and time_limit_seconds must be 0 (default) or positive."));
            }

            if (!double.IsFinite(hp.LearningRate) || hp.LearningRate < 0 || !double.IsFinite(hp.WeightDecay) || hp.WeightDecay < 0 || !double.IsFinite(hp.GradientClipNorm) || hp.GradientClipNorm < 0)
            {
                violations.Add(("hyper_parameters", "learning_rate, weight_decay and gradient_clip_norm must be finite and not negative."));
            }

            if (!double.IsFinite(hp.ValidationFraction) || hp.ValidationFraction is < 0 or >= 1)
            {
                violations.Add(("hyper_parameters.validation_fraction", "must be at least 0 and below 1."));
            }
        }

        string device = request.Device.Length == 0 ? jobOptions.Value.DefaultDevice : request.Device;
        if (!DevicePattern().IsMatch(device))
        {
            violations.Add(("device", "must be 'cpu', 'cuda', 'cuda:N' or 'auto' (CUDA when available, else the CPU)."));
        }

        Validation.ThrowIfAny(violations);
        StartTrainingRequest spec = request.Clone();
        spec.Device = device;
        spec.Datasets.Clear();
        spec.ValidationDatasets.Clear();
        var gridded = new List<(string Field, Dataset Dataset)>();
        foreach (string reference in request.Datasets)
        {
            Dataset dataset = await GriddedAsync("datasets", reference, cancellationToken);
            spec.Datasets.Add(dataset.Id);
            gridded.Add(("datasets", dataset));
        }

        foreach (string reference in request.ValidationDatasets)
        {
            Dataset dataset = await GriddedAsync("validation_datasets", reference, cancellationToken);
            spec.ValidationDatasets.Add(dataset.Id);
            gridded.Add(("validation_datasets", dataset));
        }

        CheckTrainable(request, gridded);
        CheckTimeRanges(request, gridded);

        if (await catalog.FindModelAsync(request.ModelName, cancellationToken) is not null && !await runner.IsKnownRequestAsync(request.RequestId, cancellationToken))
        {
            throw Problem.AlreadyExists("model", request.ModelName, "Choose another model_name or delete the existing model.");
        }

        // Build the model description on the datasets' grid and check the hyper-parameters and the device now, so a
        // request the engine cannot run is refused instead of queued.
        Dataset first = gridded[0].Dataset;
        try
        {
            engine.CheckRequest(TrainingMapping.ToEngine(spec), GridMapping.ToSphereGrid(first.Grid), first.Bands.Count(b => b.Role == BandRole.Input), first.Bands.Count(b => b.Role == BandRole.Label));
        }
        catch (EngineInputException e)
        {
            throw Problem.InvalidArgument(e.Field ?? "model", e.Message);
        }

        return (await runner.SubmitAsync(new JobSubmission(
            JobKind.Training.ToRecord(), JobSpecs.Of(spec), device, request.Priority, $"train '{request.ModelName}' ({request.Task}) on {string.Join(", ", spec.Datasets)}",
            string.IsNullOrEmpty(request.RequestId) ? null : request.RequestId, [.. spec.Datasets, .. spec.ValidationDatasets]), cancellationToken)).ToApi();
    }

    [Obsolete(JobAlias)]
    public override Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobEvent> responseStream, ServerCallContext context) =>
        _jobLifecycle.WatchAsync(request, responseStream, context.CancellationToken);

    [Obsolete(JobAlias)]
    public override Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context) =>
        _jobLifecycle.CancelAsync(request, context.CancellationToken);

    [Obsolete(JobAlias)]
    public override Task<Job> ResumeJob(ResumeJobRequest request, ServerCallContext context) =>
        _jobLifecycle.ResumeAsync(request, context.CancellationToken);

    [Obsolete(JobAlias)]
    public override Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context) =>
        _jobLifecycle.ListAsync(request, context.CancellationToken);

    [Obsolete(JobAlias)]
    public override Task<Job> GetJob(GetJobRequest request, ServerCallContext context) =>
        _jobLifecycle.GetAsync(request, context.CancellationToken);

    /// <summary>
    /// What can be told before the job starts: every dataset has label bands to learn from and all lie on one grid,
    /// the model's if the request names one. The engine checks the values themselves (class ids, band counts).
    /// </summary>
    private static void CheckTrainable(StartTrainingRequest request, IReadOnlyList<(string Field, Dataset Dataset)> datasets)
    {
        foreach ((string field, Dataset dataset) in datasets)
        {
            if (!dataset.Bands.Any(b => b.Role == BandRole.Label))
            {
                throw Problem.FailedPrecondition("DATASET_LABELS", dataset.Id,
                    $"{field}: dataset '{dataset.Name}' has no label band ({string.Join(", ", dataset.Bands.Select(b => $"{b.Name}:{b.Role.ToString().ToLowerInvariant()}"))}), so there is nothing to learn; " +
                    "ingest it again with a label band (CLI: --band SOURCE.BAND:label).");
            }
        }

        Grid first = datasets[0].Dataset.Grid;
        foreach ((string field, Dataset dataset) in datasets)
        {
            if (!dataset.Grid.Equals(first))
            {
                throw Problem.InvalidArgument(field,
                    $"dataset '{dataset.Name}' is on {Describe(dataset.Grid)} but '{datasets[0].Dataset.Name}' is on {Describe(first)}; ingest every dataset onto one grid.");
            }
        }

        if (request.Model?.Grid is { Nlat: > 0 } wanted && !wanted.Equals(first))
        {
            throw Problem.InvalidArgument("model.grid",
                $"is {Describe(wanted)} but the datasets are on {Describe(first)}; leave model.grid unset to train on the datasets' grid, or ingest them onto the model's grid.");
        }
    }

    /// <summary>
    /// The time ranges, before any job is queued: each set range is non-empty and has both ends, the two do not
    /// overlap, every training dataset is a time stack with at least one step inside each range, and a validation range
    /// is not combined with validation datasets.
    /// </summary>
    private static void CheckTimeRanges(StartTrainingRequest request, IReadOnlyList<(string Field, Dataset Dataset)> datasets)
    {
        var violations = new List<(string, string)>();
        TimeWindow? train = Range(violations, "train_time_range", request.TrainTimeRange);
        TimeWindow? validate = Range(violations, "validation_time_range", request.ValidationTimeRange);
        if (train is not null && validate is not null && train.Overlaps(validate))
        {
            violations.Add(("validation_time_range", $"{validate} overlaps train_time_range {train}; a step may train or validate, not both."));
        }

        if (validate is not null && request.ValidationDatasets.Count > 0)
        {
            violations.Add(("validation_time_range", "validates on steps of the training datasets; leave validation_datasets empty when giving it."));
        }

        foreach ((string field, TimeWindow? window) in new[] { ("train_time_range", train), ("validation_time_range", validate) })
        {
            if (window is null)
            {
                continue;
            }

            foreach (Dataset dataset in datasets.Where(d => d.Field == "datasets").Select(d => d.Dataset))
            {
                if (dataset.TimeSteps.Count == 0)
                {
                    violations.Add(("datasets", $"dataset '{dataset.Name}' has no time axis (one sample), so {field} cannot select its steps; ingest a time stack (a NetCDF variable with a time dimension) or drop {field}."));
                    continue;
                }

                DateTime first = dataset.TimeSteps[0].ToDateTime(), last = dataset.TimeSteps[^1].ToDateTime();
                if (!dataset.TimeSteps.Any(t => window.Contains(t.ToDateTime())))
                {
                    violations.Add((field, $"{window} holds no step of dataset '{dataset.Name}', whose {dataset.TimeSteps.Count} steps run from {Iso(first)} to {Iso(last)}."));
                }
            }
        }

        Validation.ThrowIfAny([.. violations.Distinct()]);
    }

    /// <summary>A range as a window, or null when unset; a violation when it has one end only or is empty.</summary>
    private static TimeWindow? Range(List<(string, string)> violations, string field, TimeRange? range)
    {
        if (range is null || (range.Start is null && range.End is null))
        {
            return null;
        }

        if (range.Start is null || range.End is null)
        {
            violations.Add((field, "needs both start and end (end exclusive)."));
            return null;
        }

        TimeWindow window = TrainingMapping.ToWindow(range)!;
        if (window.End <= window.Start)
        {
            violations.Add((field, $"{window} is empty: end must be later than start (end exclusive)."));
            return null;
        }

        return window;
    }

    private static string Iso(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private async Task<Dataset> GriddedAsync(string field, string reference, CancellationToken cancellationToken)
    {
        Dataset dataset = (await catalog.FindDatasetAsync(reference, cancellationToken))?.ToApi() ?? throw Problem.NotFound("dataset", reference);
        if (dataset.Kind != DatasetKind.Gridded)
        {
            throw Problem.FailedPrecondition("DATASET_KIND", dataset.Id,
                $"{field}: dataset '{dataset.Name}' is a raw upload; ingest it onto a grid first with `disco datasets ingest`.");
        }

        return dataset;
    }

    private static string Describe(Grid grid) =>
        FormattableString.Invariant($"{grid.Kind.ToString().ToLowerInvariant()} {grid.Nlat}x{grid.Nlon} (lon0 {grid.LonOriginDegrees}°)");

    [GeneratedRegex("^(cpu|auto|cuda|cuda:[0-9]{1,2})$", RegexOptions.CultureInvariant)]
    private static partial Regex DevicePattern();
}

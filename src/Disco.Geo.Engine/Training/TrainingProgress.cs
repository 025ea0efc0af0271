using Disco.Geo.Sphere.Training;

namespace Disco.Geo.Engine.Training;

/// <summary>
/// Turns the trainer's events into <see cref="EngineProgress"/>. Watchers see the latest state only, so the scalars
/// accumulate: a step event keeps the last validation's metrics beside the new loss, and a watcher that attaches
/// between validations still sees them.
/// </summary>
internal sealed class TrainingProgress(IProgress<EngineProgress> target) : IProgress<TrainingEvent>
{
    private readonly Dictionary<string, double> _scalars = new(StringComparer.Ordinal);
    private double _samplesPerSecond;

    /// <summary>The last progress reported, or null before the first event.</summary>
    public EngineProgress? Last { get; private set; }

    /// <summary>The step the last attempt started at: 0 for a fresh run, the checkpoint's step when resumed.</summary>
    public long StartedAtStep { get; private set; }

    public void Report(TrainingEvent value)
    {
        foreach ((string name, double scalar) in value.Scalars)
        {
            if (double.IsFinite(scalar))
            {
                _scalars[name] = scalar;
            }
        }

        if (value.SamplesPerSecond > 0)
        {
            _samplesPerSecond = value.SamplesPerSecond;
        }

        if (value.Kind == TrainingEventKind.Started)
        {
            StartedAtStep = value.Step;
        }

        Last = new EngineProgress(value.Fraction, Stage(value.Kind), value.Message)
        {
            Step = value.Step,
            TotalSteps = value.TotalSteps,
            Epoch = value.Epoch,
            TotalEpochs = value.TotalEpochs,
            Metrics = new Dictionary<string, double>(_scalars, StringComparer.Ordinal),
            Throughput = _samplesPerSecond,
            ThroughputUnit = "samples/s",
            Eta = value.Eta,
        };
        target.Report(Last);
    }

    private static string Stage(TrainingEventKind kind) => kind switch
    {
        TrainingEventKind.Started => "started",
        TrainingEventKind.Step => "training",
        TrainingEventKind.Validated => "validated",
        TrainingEventKind.CheckpointSaved => "checkpoint",
        TrainingEventKind.Finished => "evaluated",
        _ => "training",
    };
}

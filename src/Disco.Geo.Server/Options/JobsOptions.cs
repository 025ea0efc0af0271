namespace Disco.Geo.Server.Options;

/// <summary>The job runner ("Jobs" section).</summary>
public sealed class JobsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Jobs";

    /// <summary>Concurrent jobs per device lane, e.g. { "cpu": 1, "io": 2 }. Lanes not listed get 1.</summary>
    public Dictionary<string, int> Concurrency { get; set; } = new(StringComparer.Ordinal) { ["cpu"] = OptionDefaults.CpuLaneConcurrency, ["io"] = OptionDefaults.IoLaneConcurrency };

    /// <summary>Training runs alone on its device: nothing else starts there until it ends.</summary>
    public bool ExclusiveTraining { get; set; } = OptionDefaults.ExclusiveTraining;

    /// <summary>The compute device lane of training, ingest and prediction when a request names none.</summary>
    public string DefaultDevice { get; set; } = OptionDefaults.DefaultDevice;

    /// <summary>Progress is written to the database at most this often (always on state changes).</summary>
    public TimeSpan ProgressPersistInterval { get; set; } = TimeSpan.FromSeconds(OptionDefaults.ProgressPersistIntervalSeconds);
}

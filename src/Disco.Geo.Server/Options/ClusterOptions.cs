namespace Disco.Geo.Server.Options;

/// <summary>Several replicas sharing one store ("Cluster" section).</summary>
public sealed class ClusterOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Cluster";

    /// <summary>
    /// True when this server is one replica of several on a shared store: leases held at start belong to live
    /// replicas (never released), expired ones are taken over, and only jobs for this replica's lanes are claimed.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>This replica's name: the prefix of its lease owners, in /metrics and in job attempts. Default: the host name.</summary>
    public string ReplicaId { get; set; } = "";

    /// <summary>How long a claim on a running job lasts without a heartbeat; after it another replica may take the job over.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(OptionDefaults.LeaseDurationSeconds);

    /// <summary>How often a running job's lease is renewed (and a cancel requested on another replica noticed).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(OptionDefaults.HeartbeatIntervalSeconds);

    /// <summary>How often the runner looks in the store for jobs submitted on other replicas, and watchers of jobs running elsewhere poll.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(OptionDefaults.JobPollIntervalSeconds);

    /// <summary>
    /// How long a prediction stays pinned to a replica that died (after its lease and the replica's liveness expired)
    /// for a retry to take it over; then it is ended as abandoned (failed, nobody waits for it) and a retry with its
    /// request id runs it anew.
    /// </summary>
    public TimeSpan AbandonedPredictionGrace { get; set; } = TimeSpan.FromSeconds(OptionDefaults.AbandonedPredictionGraceSeconds);

    /// <summary>The replica id in effect: <see cref="ReplicaId"/>, or the host name when it is empty.</summary>
    public string EffectiveReplicaId => string.IsNullOrWhiteSpace(ReplicaId) ? Environment.MachineName : ReplicaId.Trim();

    /// <summary>
    /// Refuses timings under which a live replica would lose its jobs: a lease must survive one missed heartbeat, so
    /// the heartbeat interval is at most half the lease duration.
    /// </summary>
    internal void Validate()
    {
        if (AbandonedPredictionGrace < TimeSpan.Zero)
        {
            throw new ServerConfigurationException($"Cluster:AbandonedPredictionGrace ({AbandonedPredictionGrace}) must not be negative.");
        }

        if (LeaseDuration <= TimeSpan.Zero || HeartbeatInterval <= TimeSpan.Zero || PollInterval <= TimeSpan.Zero)
        {
            throw new ServerConfigurationException(
                $"Cluster:LeaseDuration ({LeaseDuration}), Cluster:HeartbeatInterval ({HeartbeatInterval}) and Cluster:PollInterval ({PollInterval}) must be positive.");
        }

        if (HeartbeatInterval * 2 > LeaseDuration)
        {
            throw new ServerConfigurationException(
                $"Cluster:HeartbeatInterval ({HeartbeatInterval}) must be at most half of Cluster:LeaseDuration ({LeaseDuration}), so a lease survives one missed heartbeat; e.g. a 30 s lease with a 10 s heartbeat.");
        }
    }
}

using System.Diagnostics;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Storage;
using Prometheus;

namespace Disco.Geo.Server.Observability;

/// <summary>
/// Gauges read when /metrics is scraped (job counts from the store, this replica's lanes, process figures), set by a
/// before-collect callback on the server's own registry. Label sets that no longer exist are removed, so a state with
/// no jobs left disappears from the scrape instead of repeating its last count.
/// </summary>
internal sealed class ScrapeTimeGauges
{
    private readonly JobRunner _runner;
    private readonly IJobStore _jobs;
    private readonly Gauge _jobsByState;
    private readonly Gauge _replicaInfo;
    private readonly Gauge _laneCapacity;
    private readonly Gauge _queueDepth;
    private readonly Gauge _running;
    private readonly Gauge _residentMemory;
    private readonly Gauge _gcHeap;

    private ScrapeTimeGauges(ServerMetrics metrics, JobRunner runner, IJobStore jobs)
    {
        _runner = runner;
        _jobs = jobs;
        IMetricFactory factory = metrics.Factory;
        _jobsByState = factory.CreateGauge("disco_jobs", "Jobs in the database by kind and state.", ["kind", "state"]);
        _replicaInfo = factory.CreateGauge("disco_replica_info", "This replica: its id and its device lanes (comma-separated), always 1.", ["replica", "lanes"]);
        _laneCapacity = factory.CreateGauge("disco_lane_capacity", "Jobs this replica may run at once, by device lane.", ["replica", "device"]);
        _queueDepth = factory.CreateGauge("disco_job_queue_depth", "Queued jobs waiting for a slot, by device lane.", ["device"]);
        _running = factory.CreateGauge("disco_jobs_running", "Running jobs by device lane.", ["device"]);
        _residentMemory = factory.CreateGauge("process_resident_memory_bytes", "Resident memory size in bytes.");
        _gcHeap = factory.CreateGauge("dotnet_gc_heap_bytes", "Managed heap size in bytes.");
    }

    /// <summary>Adds the gauges and prometheus-net's process statistics (CPU seconds, start time, …) to the server's registry.</summary>
    public static void Register(ServerMetrics metrics, JobRunner runner, IJobStore jobs)
    {
        var gauges = new ScrapeTimeGauges(metrics, runner, jobs);
        DotNetStats.Register(metrics.Registry);
        metrics.Registry.AddBeforeCollectCallback(gauges.UpdateAsync);
    }

    private async Task UpdateAsync(CancellationToken cancellationToken)
    {
        var jobCounts = (await _jobs.CountByKindAndStateAsync(cancellationToken))
            .Select(c => (Labels: new[] { JobNames.Of(c.Kind), JobNames.Of(c.State) }, Value: (double)c.Count));
        Replace(_jobsByState, jobCounts);

        string replica = _runner.ReplicaId;
        string lanes = string.Join(",", _runner.LaneCapacities.Keys.Order(StringComparer.Ordinal));
        Replace(_replicaInfo, [([replica, lanes], 1)]);
        Replace(_laneCapacity, _runner.LaneCapacities.Select(p => (new[] { replica, p.Key }, (double)p.Value)));

        (Dictionary<string, int> queued, Dictionary<string, int> running) = await _runner.LaneCountsAsync(cancellationToken);
        Replace(_queueDepth, queued.Select(p => (new[] { p.Key }, (double)p.Value)));
        Replace(_running, running.Select(p => (new[] { p.Key }, (double)p.Value)));

        using Process process = Process.GetCurrentProcess();
        _residentMemory.Set(process.WorkingSet64);
        _gcHeap.Set(GC.GetTotalMemory(false));
    }

    /// <summary>Sets each current label set and removes the ones that are gone.</summary>
    private static void Replace(Gauge gauge, IEnumerable<(string[] Labels, double Value)> current)
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string[] labels, double value) in current)
        {
            gauge.WithLabels(labels).Set(value);
            keep.Add(string.Join('\0', labels));
        }

        foreach (string[] labels in gauge.GetAllLabelValues().ToList())
        {
            if (!keep.Contains(string.Join('\0', labels)))
            {
                gauge.RemoveLabelled(labels);
            }
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Storage;

namespace Disco.Geo.Server.Observability;

/// <summary>GET /metrics in the Prometheus text format: the counters of <see cref="ServerMetrics"/> plus gauges read at scrape time.</summary>
internal static class MetricsEndpoint
{
    public static async Task<IResult> RenderAsync(ServerMetrics metrics, JobRunner runner, IJobStore jobs, CancellationToken cancellationToken)
    {
        var text = new StringBuilder(4096);
        metrics.WriteTo(text);

        ServerMetrics.Header(text, "disco_jobs", "gauge", "Jobs in the database by kind and state.");
        foreach ((var kind, var state, long count) in await jobs.CountByKindAndStateAsync(cancellationToken))
        {
            text.Append("disco_jobs{kind=\"").Append(JobNames.Of(kind)).Append("\",state=\"").Append(JobNames.Of(state)).Append("\"} ")
                .Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        ServerMetrics.Header(text, "disco_replica_info", "gauge", "This replica: its id and its device lanes (comma-separated), always 1.");
        text.Append("disco_replica_info{replica=\"").Append(ServerMetrics.Escape(runner.ReplicaId)).Append("\",lanes=\"")
            .Append(ServerMetrics.Escape(string.Join(",", runner.LaneCapacities.Keys.Order(StringComparer.Ordinal)))).Append("\"} 1\n");
        ServerMetrics.Header(text, "disco_lane_capacity", "gauge", "Jobs this replica may run at once, by device lane.");
        foreach ((string lane, int capacity) in runner.LaneCapacities.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append("disco_lane_capacity{replica=\"").Append(ServerMetrics.Escape(runner.ReplicaId)).Append("\",device=\"").Append(ServerMetrics.Escape(lane)).Append("\"} ")
                .Append(capacity.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        (Dictionary<string, int> queued, Dictionary<string, int> running) = await runner.LaneCountsAsync(cancellationToken);
        ServerMetrics.Header(text, "disco_job_queue_depth", "gauge", "Queued jobs waiting for a slot, by device lane.");
        foreach ((string lane, int count) in queued.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append("disco_job_queue_depth{device=\"").Append(ServerMetrics.Escape(lane)).Append("\"} ").Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        ServerMetrics.Header(text, "disco_jobs_running", "gauge", "Running jobs by device lane.");
        foreach ((string lane, int count) in running.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append("disco_jobs_running{device=\"").Append(ServerMetrics.Escape(lane)).Append("\"} ").Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        using Process process = Process.GetCurrentProcess();
        ServerMetrics.Header(text, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        text.Append("process_resident_memory_bytes ").Append(process.WorkingSet64.ToString(CultureInfo.InvariantCulture)).Append('\n');
        ServerMetrics.Header(text, "process_cpu_seconds_total", "counter", "Total user and system CPU time in seconds.");
        text.Append("process_cpu_seconds_total ").Append(process.TotalProcessorTime.TotalSeconds.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        ServerMetrics.Header(text, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.");
        text.Append("process_start_time_seconds ").Append(new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
        ServerMetrics.Header(text, "dotnet_gc_heap_bytes", "gauge", "Managed heap size in bytes.");
        text.Append("dotnet_gc_heap_bytes ").Append(GC.GetTotalMemory(false).ToString(CultureInfo.InvariantCulture)).Append('\n');
        return Results.Text(text.ToString(), "text/plain; version=0.0.4; charset=utf-8");
    }
}

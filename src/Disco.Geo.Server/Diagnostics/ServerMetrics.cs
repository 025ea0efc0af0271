using Prometheus;

namespace Disco.Geo.Server.Diagnostics;

/// <summary>
/// The counters and histograms of one server, kept by prometheus-net in a registry of its own: the static default
/// registry would be shared by every server in a process (several replicas in one test host would add up).
/// Gauges read at scrape time are registered on the same registry by <c>Observability.ScrapeTimeGauges</c>.
/// </summary>
internal sealed class ServerMetrics
{
    private static readonly double[] RpcBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
    private static readonly double[] JobBuckets = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600];

    private readonly Counter _rpcCounts;
    private readonly Histogram _rpcLatency;
    private readonly Counter _httpCounts;
    private readonly Histogram _jobDurations;
    private readonly Counter _uploadedBytes;
    private readonly Counter _streamedBytes;

    public ServerMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        Factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _rpcCounts = Factory.CreateCounter("disco_grpc_requests_total", "gRPC calls by full method name and status code.", ["method", "code"]);
        _rpcLatency = Factory.CreateHistogram("disco_grpc_request_duration_seconds", "gRPC call duration (whole stream for streaming calls).",
            new HistogramConfiguration { LabelNames = ["method"], Buckets = RpcBuckets });
        _httpCounts = Factory.CreateCounter("disco_http_requests_total", "HTTP requests to /metrics, /tiles, /stac and /healthz (and any other path, as \"other\") by route and status.", ["route", "status"]);
        _jobDurations = Factory.CreateHistogram("disco_job_duration_seconds", "Run time of finished job attempts by kind and final state.",
            new HistogramConfiguration { LabelNames = ["kind", "state"], Buckets = JobBuckets });
        _uploadedBytes = Factory.CreateCounter("disco_upload_bytes_total", "Bytes received by uploads and model imports.");
        _streamedBytes = Factory.CreateCounter("disco_streamed_bytes_total", "Payload bytes sent by downloads, exports and tile streams.");
    }

    /// <summary>This server's registry: what /metrics exposes.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Creates further metrics on <see cref="Registry"/>.</summary>
    public IMetricFactory Factory { get; }

    public void RecordRpc(string method, string code, double seconds)
    {
        _rpcCounts.WithLabels(method, code).Inc();
        _rpcLatency.WithLabels(method).Observe(seconds);
    }

    public void RecordHttp(string route, int status) => _httpCounts.WithLabels(route, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();

    public void RecordJobFinished(string kind, string state, double seconds) => _jobDurations.WithLabels(kind, state).Observe(seconds);

    public void AddUploadedBytes(long bytes) => _uploadedBytes.Inc(bytes);

    public void AddStreamedBytes(long bytes) => _streamedBytes.Inc(bytes);
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Disco.Geo.Server.Diagnostics;

/// <summary>
/// Counters and histograms the server keeps in memory and renders in the Prometheus text exposition format (0.0.4).
/// Label sets are few (methods × status codes, job kinds × states), so plain dictionaries suffice.
/// </summary>
internal sealed class ServerMetrics
{
    private static readonly double[] RpcBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
    private static readonly double[] JobBuckets = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600];

    private readonly ConcurrentDictionary<(string Method, string Code), long[]> _rpcCounts = new();
    private readonly ConcurrentDictionary<string, Histogram> _rpcLatency = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Route, int Status), long[]> _httpCounts = new();
    private readonly ConcurrentDictionary<(string Kind, string State), Histogram> _jobDurations = new();
    private long _uploadedBytes;
    private long _streamedBytes;

    public void RecordRpc(string method, string code, double seconds)
    {
        Interlocked.Increment(ref _rpcCounts.GetOrAdd((method, code), _ => new long[1])[0]);
        _rpcLatency.GetOrAdd(method, _ => new Histogram(RpcBuckets)).Observe(seconds);
    }

    public void RecordHttp(string route, int status) =>
        Interlocked.Increment(ref _httpCounts.GetOrAdd((route, status), _ => new long[1])[0]);

    public void RecordJobFinished(string kind, string state, double seconds) =>
        _jobDurations.GetOrAdd((kind, state), _ => new Histogram(JobBuckets)).Observe(seconds);

    public void AddUploadedBytes(long bytes) => Interlocked.Add(ref _uploadedBytes, bytes);

    public void AddStreamedBytes(long bytes) => Interlocked.Add(ref _streamedBytes, bytes);

    /// <summary>Appends everything kept here; gauges read at scrape time are appended by the endpoint.</summary>
    public void WriteTo(StringBuilder text)
    {
        Header(text, "disco_grpc_requests_total", "counter", "gRPC calls by full method name and status code.");
        foreach (((string method, string code), long[] count) in _rpcCounts.OrderBy(p => p.Key.Method, StringComparer.Ordinal).ThenBy(p => p.Key.Code, StringComparer.Ordinal))
        {
            text.Append("disco_grpc_requests_total{method=\"").Append(Escape(method)).Append("\",code=\"").Append(code).Append("\"} ")
                .Append(Volatile.Read(ref count[0]).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        Header(text, "disco_grpc_request_duration_seconds", "histogram", "gRPC call duration (whole stream for streaming calls).");
        foreach ((string method, Histogram histogram) in _rpcLatency.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            histogram.WriteTo(text, "disco_grpc_request_duration_seconds", $"method=\"{Escape(method)}\"");
        }

        Header(text, "disco_http_requests_total", "counter", "HTTP requests to /metrics, /tiles and /healthz by route and status.");
        foreach (((string route, int status), long[] count) in _httpCounts.OrderBy(p => p.Key.Route, StringComparer.Ordinal).ThenBy(p => p.Key.Status))
        {
            text.Append("disco_http_requests_total{route=\"").Append(Escape(route)).Append("\",status=\"").Append(status.ToString(CultureInfo.InvariantCulture))
                .Append("\"} ").Append(Volatile.Read(ref count[0]).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        Header(text, "disco_job_duration_seconds", "histogram", "Run time of finished job attempts by kind and final state.");
        foreach (((string kind, string state), Histogram histogram) in _jobDurations.OrderBy(p => p.Key.Kind, StringComparer.Ordinal).ThenBy(p => p.Key.State, StringComparer.Ordinal))
        {
            histogram.WriteTo(text, "disco_job_duration_seconds", $"kind=\"{kind}\",state=\"{state}\"");
        }

        Header(text, "disco_upload_bytes_total", "counter", "Bytes received by uploads and model imports.");
        text.Append("disco_upload_bytes_total ").Append(Interlocked.Read(ref _uploadedBytes).ToString(CultureInfo.InvariantCulture)).Append('\n');
        Header(text, "disco_streamed_bytes_total", "counter", "Payload bytes sent by downloads, exports and tile streams.");
        text.Append("disco_streamed_bytes_total ").Append(Interlocked.Read(ref _streamedBytes).ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    public static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    public static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private sealed class Histogram(double[] bounds)
    {
        private readonly long[] _buckets = new long[bounds.Length + 1];
        private double _sum;
        private long _count;

        public void Observe(double value)
        {
            int index = Array.BinarySearch(bounds, value);
            index = index >= 0 ? index : ~index;
            lock (_buckets)
            {
                _buckets[index]++;
                _sum += value;
                _count++;
            }
        }

        public void WriteTo(StringBuilder text, string name, string labels)
        {
            long cumulative = 0;
            lock (_buckets)
            {
                for (int i = 0; i < bounds.Length; i++)
                {
                    cumulative += _buckets[i];
                    text.Append(name).Append("_bucket{").Append(labels).Append(",le=\"").Append(bounds[i].ToString(CultureInfo.InvariantCulture)).Append("\"} ")
                        .Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
                }

                text.Append(name).Append("_bucket{").Append(labels).Append(",le=\"+Inf\"} ").Append(_count.ToString(CultureInfo.InvariantCulture)).Append('\n');
                text.Append(name).Append("_sum{").Append(labels).Append("} ").Append(_sum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
                text.Append(name).Append("_count{").Append(labels).Append("} ").Append(_count.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }
    }
}

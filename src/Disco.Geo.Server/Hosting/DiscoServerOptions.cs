namespace Disco.Geo.Server.Hosting;

/// <summary>
/// Where the server listens. Bound from the "Server" configuration section (appsettings.json, DISCO_SERVER__*
/// environment variables, or --listen / --http-listen on the command line).
/// </summary>
public sealed class ServerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Server";

    /// <summary>gRPC endpoints as "host:port" (HTTP/2 cleartext, or HTTP/2 over TLS when a certificate is set). Port 0 picks a free port.</summary>
    public List<string> Listen { get; set; } = [];

    /// <summary>
    /// HTTP/1.1 endpoints for /metrics, /tiles and /healthz. Cleartext Kestrel cannot serve HTTP/1.1 and HTTP/2 on one
    /// port, so these get their own; empty disables them.
    /// </summary>
    public List<string> HttpListen { get; set; } = [];

    /// <summary>How long health reports NOT_SERVING before the server stops accepting calls, so balancers drain it.</summary>
    public TimeSpan ShutdownDrain { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>The data directory and import roots ("Storage" section).</summary>
public sealed class StorageOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Storage";

    /// <summary>Holds disco.db (SQLite, WAL) and the content-addressed blob store. Default: $XDG_DATA_HOME/disco or ~/.local/share/disco.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>Directories whose files may be ingested or predicted on by server-side path. Empty: no server-side paths.</summary>
    public List<string> ImportRoots { get; set; } = [];

    /// <summary>Read rate of verify jobs in bytes per second (0 = unlimited), so a scrub does not starve other I/O.</summary>
    public long VerifyBytesPerSecond { get; set; }

    /// <summary>Unfinished uploads untouched for this long are discarded at start.</summary>
    public TimeSpan StaleUploadAge { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>Size limits ("Limits" section).</summary>
public sealed class LimitsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Limits";

    /// <summary>Largest gRPC message the server accepts. Chunks are at most 1 MiB, so 4 MiB leaves room.</summary>
    public int MaxReceiveMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest gRPC message the server sends.</summary>
    public int MaxSendMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest accepted upload or model import.</summary>
    public long MaxUploadBytes { get; set; } = 64L * 1024 * 1024 * 1024;

    /// <summary>Largest grid or raster side (rows or columns).</summary>
    public int MaxRasterDimension { get; set; } = 65536;

    /// <summary>Largest grid or raster node count (rows × columns).</summary>
    public long MaxRasterPixels { get; set; } = 400_000_000;

    /// <summary>Smallest and largest upload chunk (the last chunk may be smaller).</summary>
    public int MinChunkBytes { get; set; } = 64 * 1024;

    /// <summary>Largest upload chunk.</summary>
    public int MaxChunkBytes { get; set; } = 1024 * 1024;

    // Request sizes. Every repeated, map and string field of every request is bounded by one of these (see
    // Services/RequestLimits.cs, which lists each field's setting), checked when the request arrives, before anything
    // is opened or queued: one request must not hold a lane for minutes or grow the database without bound.

    /// <summary>Band specs of an ingest (IngestDatasetRequest.bands).</summary>
    public int MaxBandSpecs { get; set; } = 256;

    /// <summary>Additional sources of an ingest (IngestDatasetRequest.additional_sources).</summary>
    public int MaxAdditionalSources { get; set; } = 16;

    /// <summary>Tiles of a tile-list ingest (IngestDatasetRequest.tiles.paths); each is opened to check it.</summary>
    public int MaxTilePaths { get; set; } = 1024;

    /// <summary>Class names of a segmentation model (ModelConfig.class_names); the engine supports class ids 0..4095.</summary>
    public int MaxClassNames { get; set; } = 4096;

    /// <summary>Training plus validation datasets of one training request.</summary>
    public int MaxTrainingDatasets { get; set; } = 1024;

    /// <summary>Entries of a labels map (datasets and uploads).</summary>
    public int MaxLabels { get; set; } = 64;

    /// <summary>Characters of a label key or value.</summary>
    public int MaxLabelLength { get; set; } = 256;

    /// <summary>Entries of a band's label value map (BandSpec.label_map).</summary>
    public int MaxLabelMapEntries { get; set; } = 4096;

    /// <summary>
    /// Characters of a name or an id a request refers to (dataset, model, prediction and job references, name
    /// prefixes, band and class names). New names must also follow the name rule, which allows at most 128.
    /// </summary>
    public int MaxNameLength { get; set; } = 128;

    /// <summary>Characters of a request_id (idempotency key).</summary>
    public int MaxRequestIdLength { get; set; } = 128;

    /// <summary>Characters of a server-side path.</summary>
    public int MaxPathLength { get; set; } = 4096;

    /// <summary>Characters of a description.</summary>
    public int MaxDescriptionLength { get; set; } = 4096;

    /// <summary>
    /// Characters of the short fields not listed above: page tokens, checksums, device and basis names, file names.
    /// </summary>
    public int MaxTokenLength { get; set; } = 256;
}

/// <summary>The job runner ("Jobs" section).</summary>
public sealed class JobsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Jobs";

    /// <summary>Concurrent jobs per device lane, e.g. { "cpu": 1, "io": 2 }. Lanes not listed get 1.</summary>
    public Dictionary<string, int> Concurrency { get; set; } = new(StringComparer.Ordinal) { ["cpu"] = 1, ["io"] = 2 };

    /// <summary>Training runs alone on its device: nothing else starts there until it ends.</summary>
    public bool ExclusiveTraining { get; set; } = true;

    /// <summary>The compute device lane of training, ingest and prediction when a request names none.</summary>
    public string DefaultDevice { get; set; } = "cpu";

    /// <summary>Progress is written to the database at most this often (always on state changes).</summary>
    public TimeSpan ProgressPersistInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Authentication ("Security" section).</summary>
public sealed class SecurityOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Security";

    /// <summary>Metadata header that carries the API key.</summary>
    public const string ApiKeyHeader = "x-api-key";

    /// <summary>When set, every call (except grpc.health.v1) must carry it in the x-api-key header. Required on non-loopback binds unless TLS client certificates are required.</summary>
    public string? ApiKey { get; set; }

    /// <summary>PKCS#12 or PEM server certificate; enables TLS on every endpoint.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of a PKCS#12 certificate, or the PEM private key file path.</summary>
    public string? CertificateKeyOrPassword { get; set; }

    /// <summary>PEM bundle of CAs that sign client certificates; when set, clients must present one.</summary>
    public string? ClientCaPath { get; set; }
}

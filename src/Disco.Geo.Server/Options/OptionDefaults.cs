namespace Disco.Geo.Server.Options;

/// <summary>
/// The default of every server setting, in one place: the options classes, the command-line help and the code that
/// needs a default without an options instance (e.g. the tile size) all read it from here.
/// </summary>
public static class OptionDefaults
{
    /// <summary>gRPC endpoint when none is configured.</summary>
    public const string GrpcListen = "127.0.0.1:50051";

    /// <summary>HTTP/1.1 endpoint (/metrics, /tiles, /healthz) when none is configured.</summary>
    public const string HttpListen = "127.0.0.1:50052";

    /// <summary>
    /// Origins whose web pages may read /tiles responses (CORS): "*" lets any page, as TiTiler does; the tiles stay
    /// behind the API key when one is set. A comma-separated list names the allowed origins; "none" sends no CORS headers.
    /// </summary>
    public const string CorsOrigins = "*";

    /// <summary>
    /// Where the map viewer page's web-map library (Leaflet) is read from and served under /tiles/leaflet/: Debian's
    /// libjs-leaflet installs it here. The library is a dependency, not part of the repository.
    /// </summary>
    public const string LeafletDirectory = "/usr/share/javascript/leaflet";

    /// <summary>Seconds clients and caches may keep a tile or tile document of a finished prediction (one year: they never change).</summary>
    public const int TileMaxAgeSeconds = 365 * 24 * 60 * 60;

    /// <summary>Seconds health reports NOT_SERVING before the server stops accepting calls.</summary>
    public const int ShutdownDrainSeconds = 2;

    /// <summary>Days an unfinished upload may stay untouched before it is discarded at start.</summary>
    public const int StaleUploadAgeDays = 7;

    /// <summary>
    /// Hours a blob commit in progress on a shared blob root (a pin in PostgreSQL, see Storage/Postgres) protects its blob
    /// from garbage collection: longer than any commit takes (a cross-device copy of the largest upload included), after
    /// which the pin is presumed left by a replica that died.
    /// </summary>
    public const int BlobCommitGraceHours = 6;

    /// <summary>Largest gRPC message the server accepts: a chunk is at most 1 MiB, so 4 MiB leaves room.</summary>
    public const int MaxReceiveMessageBytes = 4 * 1024 * 1024;

    /// <summary>Largest gRPC message the server sends.</summary>
    public const int MaxSendMessageBytes = 16 * 1024 * 1024;

    /// <summary>
    /// Bytes of a client stream the server still reads, and discards, after its handler has answered before the
    /// client's end of stream (a refused upload): the HTTP/2 stream window (8 MiB), i.e. what a client can have in
    /// flight. See Edge/RequestStreamDrainInterceptor.cs for why.
    /// </summary>
    public const int RequestDrainBytes = 8 * 1024 * 1024;

    /// <summary>Seconds the server waits for that end of stream before it answers anyway.</summary>
    public const int RequestDrainSeconds = 10;

    /// <summary>Largest accepted upload or model import.</summary>
    public const long MaxUploadBytes = 64L * 1024 * 1024 * 1024;

    /// <summary>Largest grid or raster side.</summary>
    public const int MaxRasterDimension = 65536;

    /// <summary>Largest grid or raster node count.</summary>
    public const long MaxRasterPixels = 400_000_000;

    /// <summary>Smallest upload chunk (the last chunk may be smaller).</summary>
    public const int MinChunkBytes = 64 * 1024;

    /// <summary>Largest upload chunk.</summary>
    public const int MaxChunkBytes = 1024 * 1024;

    /// <summary>Chunk size of downloads, exports and receive buffers when the client names none.</summary>
    public const int TransferChunkBytes = 1024 * 1024;

    /// <summary>Band specs of an ingest.</summary>
    public const int MaxBandSpecs = 256;

    /// <summary>Additional sources of an ingest.</summary>
    public const int MaxAdditionalSources = 16;

    /// <summary>Tiles of a tile-list ingest.</summary>
    public const int MaxTilePaths = 1024;

    /// <summary>Class names of a segmentation model: the engine supports class ids 0..4095.</summary>
    public const int MaxClassNames = 4096;

    /// <summary>Training plus validation datasets of one training request.</summary>
    public const int MaxTrainingDatasets = 1024;

    /// <summary>Entries of a labels map.</summary>
    public const int MaxLabels = 64;

    /// <summary>Characters of a label key or value.</summary>
    public const int MaxLabelLength = 256;

    /// <summary>Entries of a band's label value map.</summary>
    public const int MaxLabelMapEntries = 4096;

    /// <summary>Characters of a name or an id a request refers to.</summary>
    public const int MaxNameLength = 128;

    /// <summary>Characters of a request_id.</summary>
    public const int MaxRequestIdLength = 128;

    /// <summary>Characters of a server-side path.</summary>
    public const int MaxPathLength = 4096;

    /// <summary>Characters of a description.</summary>
    public const int MaxDescriptionLength = 4096;

    /// <summary>Characters of the other short fields.</summary>
    public const int MaxTokenLength = 256;

    /// <summary>Concurrent jobs of the "cpu" lane.</summary>
    public const int CpuLaneConcurrency = 1;

    /// <summary>Concurrent jobs of the "io" lane.</summary>
    public const int IoLaneConcurrency = 2;

    /// <summary>Concurrent jobs of a lane the configuration does not list.</summary>
    public const int UnlistedLaneConcurrency = 1;

    /// <summary>Whether training runs alone on its device.</summary>
    public const bool ExclusiveTraining = true;

    /// <summary>The compute device lane when a request names none.</summary>
    public const string DefaultDevice = "cpu";

    /// <summary>Seconds between progress writes to the database.</summary>
    public const int ProgressPersistIntervalSeconds = 1;

    /// <summary>Seconds a job's lease lasts without a heartbeat (cluster failover takes at most this plus one poll).</summary>
    public const int LeaseDurationSeconds = 30;

    /// <summary>Seconds between heartbeats of a running job: a third of the lease, so two may be missed.</summary>
    public const int HeartbeatIntervalSeconds = 10;

    /// <summary>Seconds between looks into the store for jobs submitted elsewhere and changes of jobs watched elsewhere.</summary>
    public const int JobPollIntervalSeconds = 2;

    /// <summary>
    /// Seconds a prediction whose replica died waits, after that replica's lease and liveness expired, for a retry of
    /// its request to take it over before it is ended as abandoned: long enough for a client's retries with backoff.
    /// </summary>
    public const int AbandonedPredictionGraceSeconds = 120;
}

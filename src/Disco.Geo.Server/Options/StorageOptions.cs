namespace Disco.Geo.Server.Options;

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

    /// <summary>
    /// Cluster mode: an Npgsql connection string (e.g. <c>Host=db;Database=disco;Username=disco</c>). When set, the
    /// catalog, jobs and uploads live in this PostgreSQL database instead of disco.db, and <see cref="BlobRoot"/> is
    /// required. Empty (the default): SQLite in the data directory.
    /// </summary>
    public string PostgreSql { get; set; } = "";

    /// <summary>
    /// Cluster mode: a directory every replica mounts (NFS, CephFS, ...) holding the blobs and unfinished uploads.
    /// Must exist. Only with <see cref="PostgreSql"/>.
    /// </summary>
    public string BlobRoot { get; set; } = "";

    /// <summary>How long a blob commit in progress on <see cref="BlobRoot"/> is protected from garbage collection (cluster mode).</summary>
    public TimeSpan BlobCommitGrace { get; set; } = TimeSpan.FromHours(OptionDefaults.BlobCommitGraceHours);

    /// <summary>Unfinished uploads untouched for this long are discarded at start.</summary>
    public TimeSpan StaleUploadAge { get; set; } = TimeSpan.FromDays(OptionDefaults.StaleUploadAgeDays);
}

using System.Text.RegularExpressions;

namespace Disco.Geo.Server.Storage;

/// <summary>
/// The one directory that holds everything the server keeps:
/// <c>disco.db</c> (SQLite in WAL mode: metadata), <c>blobs/sha256/ab/abcd…</c> (content-addressed files),
/// <c>uploads/</c> (partial uploads, resumable), <c>jobs/&lt;job id&gt;/</c> (engine checkpoints) and <c>tmp/</c>
/// (files being written; emptied at start). Files reach their final name only by rename, so nothing half-written is
/// ever visible.
/// </summary>
/// <remarks>
/// One server at a time: the constructor takes an exclusive lock on <c>server.lock</c> before anything else touches the
/// directory, because a second server's start-up (job recovery, garbage collection, tmp/ sweep) would mark the first
/// one's running jobs interrupted and delete files it is writing. The lock is flock(2) (what .NET uses for
/// FileShare.None on Unix): the kernel releases it when the process dies, even on SIGKILL, so no stale lock survives.
/// In cluster mode (a shared blob root, see Storage/Postgres) the lock still guards this replica's own directory, while
/// blobs and unfinished uploads live under <see cref="SharedRoot"/>, which every replica mounts.
/// </remarks>
internal sealed class DataDirectory : IDisposable
{
    public const string LockFileName = "server.lock";

    private readonly FileStream _lock;

    // A stored file: the blob root, the fan-out directory and the SHA-256, with whatever suffix follows up to a delimiter.
    private readonly Regex _blobPath;

    public DataDirectory(string root, string? sharedRoot = null)
    {
        Root = Path.GetFullPath(root);
        SharedRoot = string.IsNullOrEmpty(sharedRoot) ? null : Path.GetFullPath(sharedRoot);
        Directory.CreateDirectory(Root);
        _lock = AcquireLock(Root);
        _blobPath = new Regex(Regex.Escape(BlobRoot + Path.DirectorySeparatorChar) + @"[0-9a-f]{2}/[0-9a-f]{64}[^\s'"":,;)]*", RegexOptions.CultureInvariant);
        Directory.CreateDirectory(BlobRoot);
        Directory.CreateDirectory(UploadRoot);
        Directory.CreateDirectory(JobRoot);
        Directory.CreateDirectory(TempRoot);
        if (SharedRoot is not null)
        {
            Directory.CreateDirectory(StagingRoot);
        }
    }

    public string Root { get; }

    /// <summary>The blob root every replica mounts (cluster mode), or null when blobs live in this directory.</summary>
    public string? SharedRoot { get; }

    public string DatabasePath => Path.Combine(Root, "disco.db");

    /// <summary>Where blobs live: under the shared root in cluster mode, else in this directory.</summary>
    public string BlobRoot => Path.Combine(SharedRoot ?? Root, "blobs", "sha256");

    /// <summary>Unfinished uploads: shared in cluster mode, so a client resumes an upload through any replica.</summary>
    public string UploadRoot => Path.Combine(SharedRoot ?? Root, "uploads");

    /// <summary>
    /// Cluster mode: where a blob is staged on the shared file system before its rename into place (a rename is atomic
    /// only within one file system, and tmp/ is this replica's own).
    /// </summary>
    public string StagingRoot => Path.Combine(SharedRoot ?? Root, "staging");

    /// <summary>Engine checkpoints per job: shared in cluster mode, so the replica that takes over a job resumes from them.</summary>
    public string JobRoot => Path.Combine(SharedRoot ?? Root, "jobs");

    public string TempRoot => Path.Combine(Root, "tmp");

    /// <summary>A fresh path under tmp/ for a file being written.</summary>
    public string NewTempPath(string suffix = ".tmp") => Path.Combine(TempRoot, Guid.NewGuid().ToString("N") + suffix);

    /// <summary>The engine's working directory of a job; kept across restarts so a resumed job finds its checkpoints.</summary>
    /// <remarks>
    /// Only the job's own directory is created: on a shared blob root that is not mounted (or was moved away) creating
    /// the whole path would plant an empty root where the real one belongs, so a missing jobs directory throws
    /// <see cref="DirectoryNotFoundException"/> instead.
    /// </remarks>
    public string JobDirectory(string jobId)
    {
        if (!Directory.Exists(JobRoot))
        {
            throw new DirectoryNotFoundException("The jobs directory of the blob root is missing (is the blob root mounted?).");
        }

        string path = Path.Combine(JobRoot, jobId);
        Directory.CreateDirectory(path);
        return path;
    }

    public static string DefaultPath()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        string baseDirectory = string.IsNullOrEmpty(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share")
            : xdg;
        return Path.Combine(baseDirectory, "disco");
    }

    public void Dispose() => _lock.Dispose();

    /// <summary>
    /// A message fit for clients: paths inside this directory are server internals (where it lives, which blob holds
    /// what), so a stored file's path becomes "a stored file" and any other path its place relative to the directory.
    /// </summary>
    public string RedactPaths(string message)
    {
        if (!message.Contains(Root, StringComparison.Ordinal) && (SharedRoot is null || !message.Contains(SharedRoot, StringComparison.Ordinal)))
        {
            return message;
        }

        string redacted = _blobPath.Replace(message, "a stored file");
        if (SharedRoot is not null)
        {
            redacted = redacted.Replace(SharedRoot + Path.DirectorySeparatorChar, "<blob root>/", StringComparison.Ordinal)
                .Replace(SharedRoot, "<blob root>", StringComparison.Ordinal);
        }

        return redacted.Replace(Root + Path.DirectorySeparatorChar, "<data directory>/", StringComparison.Ordinal)
            .Replace(Root, "<data directory>", StringComparison.Ordinal);
    }

    private static FileStream AcquireLock(string root)
    {
        string path = Path.Combine(root, LockFileName);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new Options.ServerConfigurationException(
                $"The data directory {root} is in use by another disco-server (it holds {path}). " +
                "Stop that server first, or give this one its own directory with --data-dir. Nothing was changed.");
        }
    }

    /// <summary>Makes a rename durable: the directory entry is flushed, not only the file.</summary>
    public static void FlushDirectory(string directory) => DirectorySync.Flush(directory);
}

namespace Disco.Geo.Server.Storage;

/// <summary>
/// The one directory that holds everything the server keeps:
/// <c>disco.db</c> (SQLite in WAL mode: metadata), <c>blobs/sha256/ab/abcd…</c> (content-addressed files),
/// <c>uploads/</c> (partial uploads, resumable), <c>jobs/&lt;job id&gt;/</c> (engine checkpoints) and <c>tmp/</c>
/// (files being written; emptied at start). Files reach their final name only by rename, so nothing half-written is
/// ever visible.
/// </summary>
internal sealed class DataDirectory
{
    public DataDirectory(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(BlobRoot);
        Directory.CreateDirectory(UploadRoot);
        Directory.CreateDirectory(JobRoot);
        Directory.CreateDirectory(TempRoot);
    }

    public string Root { get; }

    public string DatabasePath => Path.Combine(Root, "disco.db");

    public string BlobRoot => Path.Combine(Root, "blobs", "sha256");

    public string UploadRoot => Path.Combine(Root, "uploads");

    public string JobRoot => Path.Combine(Root, "jobs");

    public string TempRoot => Path.Combine(Root, "tmp");

    /// <summary>A fresh path under tmp/ for a file being written.</summary>
    public string NewTempPath(string suffix = ".tmp") => Path.Combine(TempRoot, Guid.NewGuid().ToString("N") + suffix);

    /// <summary>The engine's working directory of a job; kept across restarts so a resumed job finds its checkpoints.</summary>
    public string JobDirectory(string jobId)
    {
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

    /// <summary>Makes a rename durable: the directory entry is flushed, not only the file.</summary>
    public static void FlushDirectory(string directory) => DirectorySync.Flush(directory);
}

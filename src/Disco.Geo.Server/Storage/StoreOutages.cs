using System.Data.Common;

namespace Disco.Geo.Server.Storage;

/// <summary>
/// Tells a store that is out of reach (the catalog's database down or restarting, the shared blob root unmounted or
/// replaced) from a defect: the first is UNAVAILABLE to callers and leaves running jobs to be taken up again once the
/// store is back; the second is an internal error.
/// </summary>
internal static class StoreOutages
{
    // PostgreSQL's "operator intervention" class: the server is shutting down, crashed or not yet accepting connections.
    private static readonly string[] ShutdownStates = ["57P01", "57P02", "57P03"];

    /// <summary>
    /// True when <paramref name="e"/> (or an exception inside it) says the database cannot be reached right now: a
    /// transient <see cref="DbException"/> (connection refused or broken) or PostgreSQL shutting down. Read through
    /// <see cref="DbException"/>, so the layers above need no driver.
    /// </summary>
    public static bool IsDatabaseOutage(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is DbException db && (db.IsTransient || (db.SqlState is { } state && ShutdownStates.Contains(state))))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when the shared blob root (cluster mode) is not a directory this process can reach: missing (unmounted,
    /// renamed away) or replaced by a file. A single node's blob directory is part of its data directory and never counts.
    /// </summary>
    public static bool IsBlobRootOutage(Exception e, DataDirectory directory) =>
        e is IOException or UnauthorizedAccessException && IsBlobRootMissing(directory);

    /// <summary>
    /// True when this process has a shared blob root (cluster mode) and it is not a directory it can reach now. A
    /// handler that could not read an input reports it as its own failure (a missing dataset file); while this holds
    /// that is the store's outage, not the job's.
    /// </summary>
    public static bool IsBlobRootMissing(DataDirectory directory) =>
        directory.SharedRoot is { } root && !Directory.Exists(Path.Combine(root, "blobs", "sha256"));

    /// <summary>
    /// True when a job that failed with <paramref name="e"/> is handed back rather than failed: in cluster mode, while
    /// the database or the shared blob root is out of reach, no failure is the job's own (the runner keeps it running
    /// in the store; a handler leaves its records as they were, so a retry follows the job rather than finding it failed).
    /// </summary>
    public static bool HandsJobBack(Exception e, DataDirectory directory, bool cluster) =>
        cluster && (IsDatabaseOutage(e) || IsBlobRootMissing(directory));
}

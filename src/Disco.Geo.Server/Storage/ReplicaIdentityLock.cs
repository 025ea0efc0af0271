using System.Text.RegularExpressions;
using Disco.Geo.Server.Options;

namespace Disco.Geo.Server.Storage;

/// <summary>
/// Cluster mode's form of the data directory lock: one live process per replica id on a shared root. Replica ids
/// name lease owners, job attempts and /metrics series, so two processes under one id would make a dead replica's
/// jobs look alive and mix two replicas' records. The lock is <c>replicas/&lt;id&gt;.lock</c> under the shared root,
/// held exclusively (flock) for the life of the process; the kernel (or, on NFS, the lock manager) frees it when the
/// process dies, so a restarted replica takes its id again.
/// </summary>
internal sealed partial class ReplicaIdentityLock : IDisposable
{
    private readonly FileStream _lock;

    public ReplicaIdentityLock(string sharedRoot, string replicaId)
    {
        CheckId(replicaId);
        string directory = Path.Combine(sharedRoot, "replicas");
        Directory.CreateDirectory(directory);
        LockPath = Path.Combine(directory, replicaId + ".lock");
        try
        {
            _lock = new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new ServerConfigurationException(
                $"Another live server already runs as replica '{replicaId}' on this shared root. Give each replica its own --replica-id " +
                "(Cluster:ReplicaId), or stop the other one first. Nothing was changed.");
        }

        // Who holds it, for an operator looking at the file; the lock itself is what counts.
        _lock.SetLength(0);
        byte[] holder = System.Text.Encoding.UTF8.GetBytes($"{Environment.MachineName} {Environment.ProcessId}\n");
        _lock.Write(holder);
        _lock.Flush();
    }

    public string LockPath { get; }

    /// <summary>
    /// Replica ids become file names, label values and lease-owner prefixes: letters, digits, '.', '_' and '-', at
    /// most 64 characters.
    /// </summary>
    public static void CheckId(string replicaId)
    {
        if (!ValidId().IsMatch(replicaId))
        {
            throw new ServerConfigurationException(
                $"Cluster:ReplicaId (--replica-id) '{replicaId}' is not a valid replica id: use 1 to 64 letters, digits, '.', '_' or '-'.");
        }
    }

    public void Dispose() => _lock.Dispose();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex ValidId();
}

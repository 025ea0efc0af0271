using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests.Storage;

/// <summary>
/// The one rule the job runner and the prediction handler share for a failure during a store outage: handed back (the
/// job stays running, its prediction pending) only in cluster mode and only while the shared store is out of reach.
/// Before it was shared, the prediction handler marked its prediction failed while the runner handed the job back, so a
/// retry started a second prediction and the first later ended succeeded as well.
/// </summary>
public sealed class StoreOutageRuleTests
{
    [Fact]
    public void A_failure_is_handed_back_only_in_cluster_mode_while_the_shared_blob_root_is_away()
    {
        string parent = Temp.Directory("outage-rule");
        string shared = Path.Combine(parent, "shared");
        string away = Path.Combine(parent, "away");
        try
        {
            using var directory = new DataDirectory(Path.Combine(parent, "data"), shared);
            var io = new IOException("No such file or directory");

            // Root present: an I/O error is the job's own.
            Assert.False(StoreOutages.HandsJobBack(io, directory, cluster: true));

            Directory.Move(shared, away);
            Assert.True(StoreOutages.HandsJobBack(io, directory, cluster: true));
            // Whatever the handler or engine made of it (e.g. "input missing"), while the root is away it is the outage.
            Assert.True(StoreOutages.HandsJobBack(new InvalidOperationException("input missing"), directory, cluster: true));
            Assert.False(StoreOutages.HandsJobBack(io, directory, cluster: false));

            Directory.Move(away, shared);
            Assert.False(StoreOutages.HandsJobBack(io, directory, cluster: true));
        }
        finally
        {
            Temp.Delete(parent);
        }
    }

    [Fact]
    public void A_single_node_never_hands_a_job_back_for_its_own_blob_directory()
    {
        string root = Temp.Directory("outage-rule-single");
        try
        {
            using var directory = new DataDirectory(root);
            Directory.Delete(directory.BlobRoot, recursive: true);
            Assert.False(StoreOutages.HandsJobBack(new IOException("gone"), directory, cluster: true));
        }
        finally
        {
            Temp.Delete(root);
        }
    }
}

using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Disco.Geo.Server.Tests.Cluster;

/// <summary>Replica identity: one live process per id on a shared root, ids that are safe names, and the id in /metrics.</summary>
public sealed class ReplicaIdentityTests
{
    [Fact]
    public void A_second_holder_of_the_same_replica_id_on_one_shared_root_is_refused_and_other_ids_are_not()
    {
        string root = Temp.Directory("replicas");
        try
        {
            using (var first = new ReplicaIdentityLock(root, "gpu-1"))
            {
                ServerConfigurationException e = Assert.Throws<ServerConfigurationException>(() => new ReplicaIdentityLock(root, "gpu-1"));
                Assert.Contains("'gpu-1'", e.Message, StringComparison.Ordinal);
                Assert.DoesNotContain(root, e.Message, StringComparison.Ordinal);
                using var other = new ReplicaIdentityLock(root, "gpu-2");
            }

            // Released with its holder: a restarted replica takes its id again.
            using var again = new ReplicaIdentityLock(root, "gpu-1");
        }
        finally
        {
            Temp.Delete(root);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("../etc")]
    [InlineData("a b")]
    [InlineData("r\"1")]
    public void Replica_ids_that_are_not_safe_names_are_refused(string id) =>
        Assert.Throws<ServerConfigurationException>(() => ReplicaIdentityLock.CheckId(id));

    [Fact]
    public async Task Metrics_name_the_replica_and_its_lanes()
    {
        await using TestServer server = await TestServer.StartAsync(["--replica-id", "replica-7", "--Jobs:Concurrency:cuda=3"]);
        string metrics = await (await server.HttpGetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Equal(1, Metrics.Value(metrics, "disco_replica_info{replica=\"replica-7\",lanes=\"cpu,cuda,io\"}"));
        Assert.Equal(3, Metrics.Value(metrics, "disco_lane_capacity{replica=\"replica-7\",device=\"cuda\"}"));
        Assert.Equal("replica-7", server.Get<JobRunner>().ReplicaId);
        Assert.StartsWith("replica-7/", server.Get<JobRunner>().Owner, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_notification_wakes_the_watchers_of_that_job_only()
    {
        var source = System.Threading.Channels.Channel.CreateUnbounded<string>();
        using var feed = new NotifiedJobChanges(ct => source.Reader.ReadAllAsync(ct), NullLogger<NotifiedJobChanges>.Instance);
        var announced = new List<string>();
        feed.Changed += announced.Add;
        await feed.StartAsync(CancellationToken.None);
        Task first = feed.WaitForChangeAsync("job_a", CancellationToken.None);
        Task second = feed.WaitForChangeAsync("job_b", CancellationToken.None);

        await source.Writer.WriteAsync("job_a");
        await first.WaitAsync(Eventually.Guard);
        Assert.False(second.IsCompleted);
        // A holder's write wakes the job's watchers but not the claim loops: nothing became claimable.
        Assert.Empty(announced);

        Task again = feed.WaitForChangeAsync("job_a", CancellationToken.None);
        await source.Writer.WriteAsync("job_a" + JobChangeNotices.ClaimableSuffix);
        await again.WaitAsync(Eventually.Guard);
        Assert.False(second.IsCompleted);
        Assert.Equal(["job_a"], announced);
        await feed.StopAsync(CancellationToken.None);
    }
}

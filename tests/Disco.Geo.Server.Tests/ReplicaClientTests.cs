using Disco.Geo.Client;
using Disco.Geo.Server.Tests.Infrastructure;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// One client given three real servers' addresses: calls go round robin, and when a replica dies with calls inside it,
/// an idempotent call is retried on another replica (no failure) while a non-idempotent one fails with UNAVAILABLE and
/// is sent nowhere else. Each server has its own data directory, which read-only calls do not notice; each is reached
/// through a relay that the test kills like a lost machine.
/// </summary>
public sealed class ReplicaClientTests : IAsyncLifetime
{
    private const string ListDatasets = "ListDatasets";
    private const string VerifyDataset = "VerifyDataset";
    private readonly List<(TestServer Server, ReplicaTap Tap, KillableRelay Relay)> _replicas = [];

    public async Task InitializeAsync()
    {
        for (int i = 0; i < 3; i++)
        {
            var tap = new ReplicaTap();
            TestServer server = await TestServer.StartAsync(configure: builder =>
            {
                builder.Services.AddSingleton(tap);
                builder.Services.Configure<GrpcServiceOptions>(o => o.Interceptors.Add<ReplicaTap>());
            });
            _replicas.Add((server, tap, KillableRelay.To(server.GrpcAddress)));
        }
    }

    public async Task DisposeAsync()
    {
        foreach ((TestServer server, _, KillableRelay relay) in _replicas)
        {
            relay.Dispose();
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Calls_are_spread_round_robin_over_every_replica_as_the_servers_metrics_count_them()
    {
        using DiscoClient client = Connect();
        await WarmUpAsync(client);
        double[] before = await Task.WhenAll(_replicas.Select(r => CountAsync(r.Server, ListDatasets)));

        for (int i = 0; i < 30; i++)
        {
            await client.Datasets.ListAsync().ToListAsync();
        }

        double[] after = await Task.WhenAll(_replicas.Select(r => CountAsync(r.Server, ListDatasets)));
        Assert.Equal([10, 10, 10], after.Zip(before, (a, b) => a - b));
    }

    [Fact]
    public async Task A_replica_killed_mid_call_fails_no_idempotent_call_and_its_non_idempotent_call_fails_once_with_unavailable()
    {
        using DiscoClient client = Connect();
        await WarmUpAsync(client);
        (TestServer _, ReplicaTap victim, KillableRelay victimRelay) = _replicas[1];

        // A non-idempotent call inside the victim: VerifyDataset queues a job per call and has no request_id. The
        // others land on the live replicas and answer NOT_FOUND (no such dataset); round robin reaches the victim
        // within three.
        Task verifyArrived = victim.HoldNextAsync(VerifyDataset);
        Task<Protos.V1.Job>? verify = null;
        int verifiesSent = 0;
        while (verify is null)
        {
            Assert.True(verifiesSent < 10, "VerifyDataset never reached the victim replica");
            Task<Protos.V1.Job> call = client.Datasets.VerifyAsync("ds_missing");
            verifiesSent++;
            if (await Task.WhenAny(call, verifyArrived) == verifyArrived)
            {
                verify = call;
            }
            else
            {
                Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<DiscoException>(() => call)).StatusCode);
            }
        }

        // A stream of idempotent calls, one of which is inside the victim when it dies.
        Task listArrived = victim.HoldNextAsync(ListDatasets);
        int[] arrivalsBefore = [.. _replicas.Select(r => r.Tap.Arrivals(ListDatasets))];
        const int Calls = 60;
        Task<int> stream = Task.Run(async () =>
        {
            int succeeded = 0;
            for (int i = 0; i < Calls; i++)
            {
                await client.Datasets.ListAsync().ToListAsync();
                succeeded++;
            }

            return succeeded;
        });
        await listArrived.WaitAsync(Eventually.Guard);

        victimRelay.Kill();

        Assert.Equal(Calls, await stream.WaitAsync(Eventually.Guard));
        // Every call arrived once where it was answered, plus the one that died inside the victim: retried exactly once.
        int[] arrivalsAfter = [.. _replicas.Select(r => r.Tap.Arrivals(ListDatasets))];
        Assert.Equal(Calls + 1, arrivalsAfter.Zip(arrivalsBefore, (a, b) => a - b).Sum());

        DiscoException failed = await Assert.ThrowsAsync<DiscoException>(() => verify.WaitAsync(Eventually.Guard));
        Assert.Equal(StatusCode.Unavailable, failed.StatusCode);
        // Not retried: no replica saw more VerifyDataset calls than were sent.
        Assert.Equal(verifiesSent, _replicas.Sum(r => r.Tap.Arrivals(VerifyDataset)));
    }

    private DiscoClient Connect() => DiscoClient.Connect(new DiscoClientOptions
    {
        Address = string.Join(",", _replicas.Select(r => r.Relay.Address)),
        MaxAttempts = 5,
        InitialBackoff = TimeSpan.FromMilliseconds(10),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
        CallTimeout = TimeSpan.FromSeconds(30),
    });

    /// <summary>
    /// Calls until every replica has answered one: the balancer connects to replicas as they come up, and only once
    /// all are ready does round robin cycle through all three. Bounded, so a replica never reached fails the test.
    /// </summary>
    private async Task WarmUpAsync(DiscoClient client)
    {
        for (int i = 0; _replicas.Any(r => r.Tap.Arrivals(ListDatasets) == 0); i++)
        {
            Assert.True(i < 500, "some replica never received a call");
            await client.Datasets.ListAsync().ToListAsync();
        }
    }

    private static async Task<double> CountAsync(TestServer server, string method)
    {
        using HttpResponseMessage response = await server.HttpGetAsync("/metrics");
        double count = Metrics.Value(await response.Content.ReadAsStringAsync(), $"disco_grpc_requests_total{{method=\"/disco.geo.v1.DatasetService/{method}\",code=\"OK\"}}");
        return double.IsNaN(count) ? 0 : count;
    }
}

using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client.Configuration;

namespace Disco.Geo.Client.Tests;

/// <summary>
/// DiscoClientOptions.Address: one address keeps its old meaning, lists and dns:/// select the balancer, and every bad
/// entry is refused with its position and what is wrong. Also the retry policy the channel is given.
/// </summary>
public sealed class ServerAddressTests
{
    [Theory]
    [InlineData("http://127.0.0.1:50051", "http://127.0.0.1:50051/", false)]
    [InlineData("127.0.0.1:50051", "http://127.0.0.1:50051/", false)]
    [InlineData("  https://disco.example:443 ", "https://disco.example/", true)]
    [InlineData("http://proxy:8080/disco", "http://proxy:8080/disco", false)]
    public void One_address_is_a_single_channel_as_before(string setting, string expected, bool tls)
    {
        ServerAddresses parsed = ServerAddresses.Parse(setting);

        Assert.Equal(AddressKind.Single, parsed.Kind);
        Assert.Equal(tls, parsed.Tls);
        Assert.Equal(expected, Assert.Single(parsed.Endpoints).ToString());
    }

    [Fact]
    public void A_comma_separated_list_is_every_replica_in_order()
    {
        ServerAddresses parsed = ServerAddresses.Parse("http://a:50051, b:50052 ,http://10.0.0.3:50051");

        Assert.Equal(AddressKind.List, parsed.Kind);
        Assert.False(parsed.Tls);
        Assert.Equal(["a:50051", "b:50052", "10.0.0.3:50051"], parsed.Endpoints.Select(e => e.Authority));
    }

    [Fact]
    public void A_list_of_https_addresses_uses_tls()
    {
        ServerAddresses parsed = ServerAddresses.Parse("https://a:50051,https://b:50051");

        Assert.Equal(AddressKind.List, parsed.Kind);
        Assert.True(parsed.Tls);
    }

    [Fact]
    public void A_dns_name_is_resolved_by_the_channel()
    {
        ServerAddresses parsed = ServerAddresses.Parse("dns:///disco.internal:50051");

        Assert.Equal(AddressKind.Dns, parsed.Kind);
        Assert.Equal("dns:///disco.internal:50051", Assert.Single(parsed.Endpoints).ToString());
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("http://a:1,,http://b:2", "entry 2 of 3 is empty")]
    [InlineData("http://a:1,", "entry 2 of 2 is empty")]
    [InlineData("http://a:1,https://b:2", "entry 2 of 2 ('https://b:2') uses https but entry 1 uses http")]
    [InlineData("http://a:1,ftp://b:2", "entry 2 of 2 ('ftp://b:2') uses the scheme 'ftp'")]
    [InlineData("http://a:1,http://b:2,http://A:1", "entry 3 of 3 ('http://A:1') repeats entry 1")]
    [InlineData("http://a:1,dns:///b:2", "entry 2 of 2 ('dns:///b:2') is a DNS name")]
    [InlineData("http://a:1,http://b:2/x", "entry 2 of 2 ('http://b:2/x') has more than scheme, host and port")]
    [InlineData("http://a:1,http://b c:2", "entry 2 of 2 ('http://b c:2') is not an address")]
    [InlineData("unix:///run/disco.sock", "uses the scheme 'unix'")]
    [InlineData("dns:///disco.internal", "has no port")]
    [InlineData("dns://8.8.8.8/disco.internal:50051", "is not a DNS address")]
    public void A_bad_address_is_refused_naming_the_entry_and_the_fault(string setting, string expected)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => ServerAddresses.Parse(setting));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(nameof(DiscoClientOptions.Address), e.ParamName);
    }

    [Fact]
    public void Connect_refuses_a_bad_list_before_any_call()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => DiscoClient.Connect(new DiscoClientOptions { Address = "http://a:1,http//b:2" }));

        Assert.Contains("entry 2 of 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Connect_accepts_a_list_and_a_dns_name_without_connecting()
    {
        using DiscoClient list = DiscoClient.Connect(new DiscoClientOptions { Address = "http://127.0.0.1:1,http://127.0.0.1:2" });
        using DiscoClient dns = DiscoClient.Connect(new DiscoClientOptions { Address = "dns:///localhost:1" });

        Assert.Equal(AddressKind.List, list.Addresses.Kind);
        Assert.Equal(AddressKind.Dns, dns.Addresses.Kind);
    }

    [Fact]
    public async Task Retries_that_run_into_the_deadline_with_no_server_reachable_report_unavailable_not_a_slow_server()
    {
        // Bound and never listened on: every connection is refused, and no other process can take the port.
        using var refusing = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        refusing.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)refusing.LocalEndPoint!).Port;
        // Back-off far beyond the deadline: the retries end at the deadline (or, improbably, run out first, which
        // also ends in UNAVAILABLE); either way the caller learns that nothing answered.
        using DiscoClient client = DiscoClient.Connect(new DiscoClientOptions
        {
            Address = $"http://127.0.0.1:{port}",
            CallTimeout = TimeSpan.FromSeconds(1),
            InitialBackoff = TimeSpan.FromSeconds(5),
            MaxBackoff = TimeSpan.FromSeconds(5),
        });

        DiscoException e = await Assert.ThrowsAsync<DiscoException>(() => client.Datasets.GetAsync("x"));

        Assert.Equal(Grpc.Core.StatusCode.Unavailable, e.StatusCode);
    }

    [Fact]
    public void Only_idempotent_methods_get_the_retry_policy_with_the_options_bounds()
    {
        var options = new DiscoClientOptions { MaxAttempts = 4, InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromSeconds(2) };

        ServiceConfig config = RetryPolicies.ServiceConfig(options, balance: true);

        MethodConfig retried = Assert.Single(config.MethodConfigs);
        Assert.Equal(4, retried.RetryPolicy!.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(10), retried.RetryPolicy.InitialBackoff);
        Assert.Equal(TimeSpan.FromSeconds(2), retried.RetryPolicy.MaxBackoff);
        Assert.Equal([Grpc.Core.StatusCode.Unavailable], retried.RetryPolicy.RetryableStatusCodes);
        string[] names = [.. retried.Names.Select(n => n.Service + "/" + n.Method)];
        Assert.Contains("disco.geo.v1.DatasetService/GetDataset", names);
        Assert.Contains("disco.geo.v1.PredictionService/Predict", names);
        Assert.Contains("disco.geo.v1.TrainingService/StartTraining", names);
        Assert.Contains("grpc.health.v1.Health/Check", names);
        foreach (string never in new[]
                 {
                     "disco.geo.v1.DatasetService/DeleteDataset", "disco.geo.v1.DatasetService/VerifyDataset", "disco.geo.v1.DatasetService/UploadFile",
                     "disco.geo.v1.JobService/CancelJob", "disco.geo.v1.JobService/ResumeJob", "disco.geo.v1.ModelService/ImportModel",
                     "disco.geo.v1.ModelService/VerifyModel", "disco.geo.v1.ModelService/DeleteModel", "disco.geo.v1.PredictionService/DeletePrediction",
                 })
        {
            Assert.DoesNotContain(never, names);
        }

        Assert.Equal(LoadBalancingConfig.RoundRobinPolicyName, Assert.Single(config.LoadBalancingConfigs).PolicyName);
        Assert.Empty(RetryPolicies.ServiceConfig(options, balance: false).LoadBalancingConfigs);
    }

    [Fact]
    public void One_attempt_means_no_retry_policy_at_all()
    {
        ServiceConfig config = RetryPolicies.ServiceConfig(new DiscoClientOptions { MaxAttempts = 1 }, balance: false);

        Assert.Empty(config.MethodConfigs);
    }
}

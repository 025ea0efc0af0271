using Disco.Geo.Cli;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests;

/// <summary>The CLI's --server (and DISCO_SERVER) as a replica list: a down replica is skipped, a malformed list is a usage error.</summary>
public sealed class CliServerAddressTests
{
    [Fact]
    public async Task A_list_with_one_replica_down_still_answers_through_the_live_one()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var refusing = new RefusingPort();

        CliResult health = await CliRunner.RunAsync(null, "--server", $"{refusing.Address},{server.GrpcAddress}", "health");
        CliResult list = await CliRunner.RunAsync(null, "--server", $"{server.GrpcAddress},{refusing.Address}", "datasets", "list", "--json");

        Assert.True(health.ExitCode == ExitCodes.Success, health.ToString());
        Assert.Contains("SERVING", health.Output, StringComparison.Ordinal);
        Assert.True(list.ExitCode == ExitCodes.Success, list.ToString());
    }

    [Fact]
    public async Task A_dns_name_reaches_the_replicas_it_resolves_to()
    {
        await using TestServer server = await TestServer.StartAsync();
        int port = new Uri(server.GrpcAddress).Port;

        // localhost resolves to 127.0.0.1 (the server) and possibly ::1 (nothing listens there, so it is skipped).
        CliResult health = await CliRunner.RunAsync(null, "--server", $"dns:///localhost:{port}", "health");

        Assert.True(health.ExitCode == ExitCodes.Success, health.ToString());
        Assert.Contains("SERVING", health.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:1,,http://127.0.0.1:2", "entry 2 of 3 is empty")]
    [InlineData("http://127.0.0.1:1,https://127.0.0.1:2", "entry 2 of 2 ('https://127.0.0.1:2') uses https but entry 1 uses http")]
    [InlineData("dns:///disco.internal", "'dns:///disco.internal' has no port")]
    public async Task A_malformed_address_list_is_a_usage_error_naming_the_entry(string setting, string expected)
    {
        CliResult result = await CliRunner.RunAsync(null, "--server", setting, "datasets", "list", "--json");

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        Assert.Contains("--server / DISCO_SERVER: Server address " + expected, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Parameter", result.Error, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"USAGE\"", result.Output, StringComparison.Ordinal);
    }
}

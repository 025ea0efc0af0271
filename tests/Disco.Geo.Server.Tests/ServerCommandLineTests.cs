using Disco.Geo.Server.Hosting;
using Disco.Geo.Server.Jobs.Sources;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Security;
using Disco.Geo.Server.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Tests;

/// <summary>disco-server's short flags: repeatable ones keep every occurrence.</summary>
public sealed class ServerCommandLineTests
{
    [Fact]
    public async Task Repeated_import_roots_and_listen_addresses_are_all_kept()
    {
        string first = Temp.Directory("root-a");
        string second = Temp.Directory("root-b");
        string third = Temp.Directory("root-c");
        try
        {
            string a = Path.Combine(first, "a.tif");
            string b = Path.Combine(second, "b.tif");
            string c = Path.Combine(third, "c.tif");
            File.WriteAllText(a, "a");
            File.WriteAllText(b, "b");
            File.WriteAllText(c, "c");
            await using TestServer server = await TestServer.StartAsync(["--import-root", first, $"--import-root={second}", "--import-root", third, "--listen", "127.0.0.1:0"]);
            Assert.Equal([first, second, third], server.Get<IOptions<StorageOptions>>().Value.ImportRoots);
            ImportRoots roots = server.Get<ImportRoots>();
            Assert.Equal(a, roots.Resolve("path", a));
            Assert.Equal(b, roots.Resolve("path", b));
            Assert.Equal(c, roots.Resolve("path", c));
            // Two --listen (one from the test server, one here) and one --http-listen: three bound addresses.
            Assert.Equal(3, DiscoServer.BoundAddresses(server.App).Count);
        }
        finally
        {
            Temp.Delete(first);
            Temp.Delete(second);
            Temp.Delete(third);
        }
    }

    [Fact]
    public void Repeatable_flags_become_list_elements_and_other_arguments_stay_as_they_are()
    {
        Assert.Equal(
            ["--Storage:ImportRoots:0=/a", "--data-dir", "/d", "--Storage:ImportRoots:1=/b", "--Server:Listen:0=127.0.0.1:1", "--Limits:MaxUploadBytes=5"],
            DiscoServer.ExpandRepeatableSwitches(["--import-root", "/a", "--data-dir", "/d", "--import-root=/b", "--listen", "127.0.0.1:1", "--Limits:MaxUploadBytes=5"]));
        Assert.Throws<ServerConfigurationException>(() => DiscoServer.ExpandRepeatableSwitches(["--import-root"]));
    }
}

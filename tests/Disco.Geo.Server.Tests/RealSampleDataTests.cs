using System.Diagnostics;
using System.Text.Json;
using Disco.Geo.Cli;
using Disco.Geo.Client;
using Disco.Geo.Samples;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// Real Debian sample data through the product's front door: `disco samples fetch`, then `disco datasets ingest` of a
/// NASA Blue Marble month with Natural Earth land polygons onto the 1° equiangular grid of the README's main job.
/// Uses the shared sample cache (~/.cache/disco-geo or $DISCO_GEO_CACHE), fetching into it when needed.
/// </summary>
public sealed class RealSampleDataTests
{
    [Fact]
    [Trait(DebianArchive.Trait, DebianArchive.Value)]
    public async Task Blue_marble_with_natural_earth_land_fetched_by_the_cli_ingests_onto_one_degree_with_29_percent_land()
    {
        CliResult fetch = await CliRunner.RunAsync(null, "samples", "fetch", "bmng-07", "ne-50m-land", "--json");
        if (fetch.ExitCode == ExitCodes.SampleDataUnavailable)
        {
            throw new DebianArchiveException(DebianArchive.Explain("NASA Blue Marble and Natural Earth", fetch.Error.Trim()), new InvalidOperationException(fetch.ToString()));
        }

        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        string image;
        string land;
        using (JsonDocument fetched = JsonDocument.Parse(fetch.Output))
        {
            image = fetched.RootElement[0].GetProperty("path").GetString()!;
            land = fetched.RootElement[1].GetProperty("path").GetString()!;
            Assert.Equal(3, fetched.RootElement[1].GetProperty("companions").GetArrayLength());
            Assert.All(fetched.RootElement[1].GetProperty("companions").EnumerateArray(), c => Assert.True(File.Exists(c.GetString())));
        }

        Assert.True(Path.IsPathFullyQualified(image) && File.Exists(image), image);
        string[] roots = new[] { Path.GetDirectoryName(image)!, Path.GetDirectoryName(land)! }.Distinct().ToArray();
        await using TestServer server = await TestServer.StartAsync(roots.Select((root, i) => $"--Storage:ImportRoots:{i}={root}"));
        CliResult ingest = await CliRunner.RunAsync(server, "datasets", "ingest", "--name", "earth-07", "--path", image, "--extra", land,
            "--grid", "equiangular:181x360:-180",
            "--band", "1:input:average:red", "--band", "2:input:average:green", "--band", "3:input:average:blue",
            "--band", "1.1:input:average:land_fraction", "--band", "1.2:label:mode:land");
        Assert.True(ingest.ExitCode == 0, ingest.ToString());

        using DiscoClient client = server.Client();
        GriddedValues earth = await GriddedValues.DownloadAsync(client, "earth-07");
        Assert.Equal((181, 360), (earth.NLat, earth.NLon));
        Assert.Equal(["red", "green", "blue", "land_fraction", "land"], earth.Dataset.Bands.Select(b => b.Name));

        // About 29 % of the Earth's surface is land (Natural Earth 1:50m, Antarctica included).
        double fraction = earth.AreaMean(earth.Band("land_fraction"));
        double label = earth.AreaMean(earth.Band("land"));
        Assert.InRange(fraction, 0.28, 0.30);
        Assert.InRange(label, 0.275, 0.305);

        // The Sahara (23° N, 10° E) is land and reddish; the equatorial Pacific (0°, 150° W) is water and blue.
        (int sahara, int saharaColumn) = (90 - 23, 180 + 10);
        (int pacific, int pacificColumn) = (90, 180 - 150);
        int red = earth.Band("red");
        int blue = earth.Band("blue");
        int landBand = earth.Band("land");
        Assert.Equal(1f, earth[landBand, sahara, saharaColumn]);
        Assert.True(earth[red, sahara, saharaColumn] > earth[blue, sahara, saharaColumn] + 30);
        Assert.Equal(0f, earth[landBand, pacific, pacificColumn]);
        Assert.True(earth[blue, pacific, pacificColumn] > earth[red, pacific, pacificColumn]);

        using JsonDocument provenance = JsonDocument.Parse(earth.Dataset.ProvenanceJson);
        JsonElement source = provenance.RootElement.GetProperty("sources")[0];
        Assert.Equal("global-image", source.GetProperty("kind").GetString());
        Assert.Contains(source.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("2:1", StringComparison.Ordinal));
        Assert.Equal(1420, provenance.RootElement.GetProperty("sources")[1].GetProperty("features").GetInt32());
    }

    [Fact]
    public async Task Samples_list_shows_the_catalogue_and_bad_names_or_a_missing_apt_give_clear_exit_codes()
    {
        CliResult list = await CliRunner.RunAsync(null, "samples", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using (JsonDocument json = JsonDocument.Parse(list.Output))
        {
            // The listing includes the samples of large packages, which `fetch all` leaves out.
            Assert.Equal(SampleCatalog.All.Concat(SampleCatalog.OnRequest).Select(f => f.Key), json.RootElement.EnumerateArray().Select(e => e.GetProperty("key").GetString()));
        }

        CliResult unknown = await CliRunner.RunAsync(null, "samples", "fetch", "bmng-02");
        Assert.Equal(ExitCodes.Usage, unknown.ExitCode);
        Assert.Contains("bmng-07", unknown.Error, StringComparison.Ordinal);

        if (File.Exists(SampleCatalog.Etopo5.PathInPackage))
        {
            return; // installed system-wide: nothing would be fetched
        }

        // A separate CLI process whose PATH has no apt-get, with an empty cache.
        string empty = Temp.Directory("no-apt");
        try
        {
            string dotnet = Environment.GetEnvironmentVariable("PATH")!.Split(Path.PathSeparator).Select(d => Path.Combine(d, "dotnet")).First(File.Exists);
            var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            // The test output holds disco.dll; the test host's runtime config supplies the frameworks its dependencies resolve from.
            string bin = AppContext.BaseDirectory;
            string[] arguments =
            [
                "exec", "--runtimeconfig", Path.Combine(bin, "Disco.Geo.Server.Tests.runtimeconfig.json"), "--depsfile", Path.Combine(bin, "Disco.Geo.Server.Tests.deps.json"),
                Path.Combine(bin, "disco.dll"), "samples", "fetch", "etopo5", "--cache-dir", Path.Combine(empty, "cache"),
            ];
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["PATH"] = empty;
            using Process process = Process.Start(start)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            string error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.Equal(ExitCodes.SampleDataUnavailable, process.ExitCode);
            Assert.Empty(await output);
            Assert.Contains("could not be run", error, StringComparison.Ordinal);
            Assert.Contains("Debian", error, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(empty, "cache", "debian")));
        }
        finally
        {
            Temp.Delete(empty);
        }
    }
}

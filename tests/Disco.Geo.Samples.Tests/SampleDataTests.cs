using System.Net;
using System.Net.Sockets;
using Disco.Geo.Samples;

namespace Disco.Geo.Samples.Tests;

/// <summary>Fetching Debian sample data: verified, atomic, with clear failures. Uses the shared cache (~/.cache/disco-geo or $DISCO_GEO_CACHE).</summary>
public sealed class SampleDataTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    [Trait(DebianArchive.Trait, DebianArchive.Value)]
    public async Task A_catalogued_file_is_fetched_once_verified_and_then_served_from_the_cache()
    {
        SampleData samples = new(new SampleDataOptions { UseInstalledFiles = false });
        SampleFile july = SampleCatalog.BlueMarble(7);
        string path = await DebianArchive.FetchAsync(july, new SampleDataOptions { UseInstalledFiles = false });
        Assert.Equal(samples.CachedPath(july), path);
        Assert.Equal(july.Size, new FileInfo(path).Length);
        Assert.StartsWith(samples.CacheDirectory, path);
        // Every catalogued file of the package came along; nothing else of the 5.8 MB package did.
        string packageDirectory = Path.Combine(samples.CacheDirectory, "debian", $"gpredict_{july.Version}");
        Assert.Equal(SampleCatalog.BlueMarbleMonthNumbers.Count, Directory.GetFiles(packageDirectory, "*", SearchOption.AllDirectories).Length);
        Assert.Empty(Directory.GetDirectories(Path.Combine(samples.CacheDirectory, "debian"), ".staging-gpredict-*"));

        DateTime written = File.GetLastWriteTimeUtc(path);
        Assert.Equal(path, await samples.GetAsync(july));
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    [Trait(DebianArchive.Trait, DebianArchive.Value)]
    public async Task A_file_that_differs_from_the_catalogue_leaves_nothing_in_the_cache()
    {
        SampleData samples = new(new SampleDataOptions { CacheDirectory = _directory.Path, UseInstalledFiles = false });
        SampleFile tampered = SampleCatalog.BlueMarble(1) with { Sha256 = new string('0', 64) };
        SampleDataException error = await Assert.ThrowsAsync<SampleDataException>(() => samples.GetAsync(tampered));
        Assert.Contains("has SHA-256 8945f98c", error.Message);
        Assert.Contains("nothing was cached", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_directory.Path, "debian")));
    }

    [Fact]
    [Trait(DebianArchive.Trait, DebianArchive.Value)]
    public async Task An_unknown_package_is_explained_and_leaves_nothing_behind()
    {
        SampleData samples = new(new SampleDataOptions { CacheDirectory = _directory.Path, UseInstalledFiles = false });
        SampleFile missing = new("nothing", "disco-geo-no-such-package", "1.0", "/usr/share/nothing", new string('0', 64), 1);
        SampleDataException error = await Assert.ThrowsAsync<SampleDataException>(() => samples.GetAsync(missing));
        Assert.Contains("disco-geo-no-such-package", error.Message);
        Assert.Contains("apt-get update", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_directory.Path, "debian")));
    }

    [Fact]
    public async Task An_unreachable_archive_fails_the_test_saying_so()
    {
        // The real apt-get, sent through a proxy on a loopback port that is bound but never listened on, so every
        // connection is refused: the archive is unreachable, as on a machine without a network.
        using var refusing = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        refusing.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        string proxy = $"http://127.0.0.1:{((IPEndPoint)refusing.LocalEndPoint!).Port}";
        string aptGet = Path.Combine(_directory.Path, "apt-get");
        File.WriteAllText(aptGet, $"#!/bin/sh\nexec apt-get -o Acquire::http::Proxy={proxy} -o Acquire::https::Proxy={proxy} \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(aptGet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        string cache = Path.Combine(_directory.Path, "cache");

        var error = await Assert.ThrowsAsync<DebianArchiveException>(() =>
            DebianArchive.FetchAsync(SampleCatalog.Etopo5, new SampleDataOptions { CacheDirectory = cache, UseInstalledFiles = false, AptGet = aptGet }));
        Assert.StartsWith($"This test needs {SampleCatalog.Etopo5.Package} {SampleCatalog.Etopo5.Version} from Debian's package archive", error.Message);
        Assert.Contains("--filter \"Needs!=DebianArchive\"", error.Message);
        Assert.Contains("The Debian mirror could not be reached", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(cache, "debian"), "*_*"));
    }

    [Fact]
    public async Task A_system_without_apt_gets_instructions()
    {
        SampleData samples = new(new SampleDataOptions { CacheDirectory = _directory.Path, UseInstalledFiles = false, AptGet = "/nonexistent/apt-get" });
        SampleDataException error = await Assert.ThrowsAsync<SampleDataException>(() => samples.GetAsync(SampleCatalog.Etopo5));
        Assert.Contains("could not be run", error.Message);
        Assert.Contains("debian/<package>_<version>/<path>", error.Message);
    }

    [Fact]
    public void One_fetch_of_a_package_keeps_every_catalogued_file_of_it_on_request_ones_included()
    {
        // The package directory is replaced as a whole on a fetch, so the files one fetch keeps must include the
        // siblings fetched before: the Apollo 17 landscape's fetch used to drop the Mars landscape.
        SampleFile moon = SampleCatalog.MoonLandscape;
        Assert.Equal(
            [SampleCatalog.MarsLandscape.PathInPackage, moon.PathInPackage],
            SampleCatalog.InPackage(moon.Package, moon.Version).Select(f => f.PathInPackage).Order(StringComparer.Ordinal));
        Assert.Equal(
            SampleCatalog.BlueMarbleMonthNumbers.Count,
            SampleCatalog.InPackage(SampleCatalog.BlueMarble(7).Package, SampleCatalog.BlueMarble(7).Version).Count);
        Assert.Equal(
            [.. SampleCatalog.NaturalEarthLand50m.WithCompanions().Select(f => f.PathInPackage).Order(StringComparer.Ordinal)],
            SampleCatalog.InPackage(SampleCatalog.NaturalEarthLand50m.Package, SampleCatalog.NaturalEarthLand50m.Version).Select(f => f.PathInPackage).Order(StringComparer.Ordinal));
        Assert.Empty(SampleCatalog.InPackage(moon.Package, "0.0"));
    }

    [Fact]
    public void The_catalogue_names_every_sample_the_issue_asks_for()
    {
        Assert.Equal(5, SampleCatalog.BlueMarbleMonthNumbers.Count);
        Assert.Equal(8, SampleCatalog.PanoramaNames.Count);
        Assert.Equal(3, SampleCatalog.NaturalEarthLand50m.Companions!.Count);
        Assert.All(SampleCatalog.All.SelectMany(f => f.WithCompanions()), f => Assert.Matches("^[0-9a-f]{64}$", f.Sha256));
        Assert.Throws<ArgumentOutOfRangeException>(() => SampleCatalog.BlueMarble(2));
        Assert.Contains("forest", Assert.Throws<ArgumentException>(() => SampleCatalog.Panorama("beach")).Message);
    }
}

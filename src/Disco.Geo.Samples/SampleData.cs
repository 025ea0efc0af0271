using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Disco.Geo.Samples;

/// <summary>
/// Fetches the sample data of <see cref="SampleCatalog"/> from Debian: `apt-get download` of the pinned package
/// version and `dpkg-deb -x` (no root needed), into a staging directory inside the cache; every catalogued file is
/// checked against its SHA-256, and only then are the files moved into place with one directory rename, so the cache
/// never holds a partial or unverified package. A missing network, mirror or package, a changed file or a missing tool
/// gives an exception saying what happened and what to do. Safe for concurrent use across threads and processes (a
/// lock file per package). Cache layout: &lt;cache&gt;/debian/&lt;package&gt;_&lt;version&gt;/&lt;path in package&gt;.
/// </summary>
public sealed class SampleData
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> PackageGates = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, bool> VerifiedFiles = new(StringComparer.Ordinal);

    private readonly SampleDataOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a fetcher.</summary>
    public SampleData(SampleDataOptions? options = null, ILogger<SampleData>? logger = null)
    {
        _options = options ?? new SampleDataOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        CacheDirectory = _options.ResolveCacheDirectory();
    }

    /// <summary>The cache root in use.</summary>
    public string CacheDirectory { get; }

    /// <summary>
    /// The local path of a verified sample file (and its companions next to it), downloading its package first when
    /// needed.
    /// </summary>
    /// <exception cref="SampleDataException">The package cannot be fetched or its files do not match the catalogue.</exception>
    public async Task<string> GetAsync(SampleFile file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (_options.UseInstalledFiles && file.WithCompanions().All(f => Matches(f.PathInPackage, f)))
        {
            return file.PathInPackage;
        }

        string path = CachedPath(file);
        if (file.WithCompanions().All(f => Matches(CachedPath(f), f)))
        {
            return path;
        }

        await FetchPackageAsync(file, cancellationToken).ConfigureAwait(false);
        foreach (SampleFile part in file.WithCompanions())
        {
            if (!Matches(CachedPath(part), part))
            {
                throw new SampleDataException(
                    $"'{CachedPath(part)}' is missing or does not match its SHA-256 after fetching {part.Package} {part.Version}. " +
                    $"Delete '{PackageDirectory(part.Package, part.Version)}' and try again.");
            }
        }

        return path;
    }

    /// <summary>
    /// The local path of a sample file whose bytes (and companions) are already verified, installed or cached, without
    /// fetching anything; null when it would have to be downloaded.
    /// </summary>
    public string? FindLocal(SampleFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (_options.UseInstalledFiles && file.WithCompanions().All(f => Matches(f.PathInPackage, f)))
        {
            return file.PathInPackage;
        }

        return file.WithCompanions().All(f => Matches(CachedPath(f), f)) ? CachedPath(file) : null;
    }

    /// <summary>Where a catalogued file lives in the cache (whether or not it is there yet).</summary>
    public string CachedPath(SampleFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return Path.Combine(PackageDirectory(file.Package, file.Version), file.PathInPackage.TrimStart('/'));
    }

    private string PackageDirectory(string package, string version) =>
        Path.Combine(CacheDirectory, "debian", $"{package}_{version.Replace(':', '%')}");

    /// <summary>Fetches the package of <paramref name="requested"/>, keeping every catalogued file of that package version.</summary>
    private async Task FetchPackageAsync(SampleFile requested, CancellationToken cancellationToken)
    {
        string package = requested.Package;
        string version = requested.Version;
        SampleFile[] files = [.. requested.WithCompanions().Concat(SampleCatalog.InPackage(package, version)).DistinctBy(f => f.PathInPackage)];
        string target = PackageDirectory(package, version);
        string debian = Path.Combine(CacheDirectory, "debian");
        try
        {
            Directory.CreateDirectory(debian);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SampleDataException($"The sample cache '{debian}' cannot be created ({e.Message}). Set {SampleDataOptions.CacheVariable} to a writable directory.", e);
        }

        SemaphoreSlim gate = PackageGates.GetOrAdd(target, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using FileStream processLock = await AcquireLockAsync(Path.Combine(debian, $".{package}.lock"), cancellationToken).ConfigureAwait(false);
            if (files.All(f => Matches(CachedPath(f), f)))
            {
                return;
            }

            string staging = Path.Combine(debian, $".staging-{package}-{Guid.NewGuid():N}");
            try
            {
                await DownloadAndStageAsync(package, version, files, staging, cancellationToken).ConfigureAwait(false);
                if (Directory.Exists(target))
                {
                    // An older or damaged copy: replaced as a whole, never patched.
                    Directory.Delete(target, recursive: true);
                }

                Directory.Move(Path.Combine(staging, "final"), target);
                _logger.LogInformation("Sample data: {Package} {Version} cached in {Directory}", package, version, target);
            }
            finally
            {
                TryDelete(staging);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task DownloadAndStageAsync(string package, string version, SampleFile[] files, string staging, CancellationToken cancellationToken)
    {
        string downloads = Path.Combine(staging, "deb");
        string root = Path.Combine(staging, "root");
        string final = Path.Combine(staging, "final");
        Directory.CreateDirectory(downloads);
        Directory.CreateDirectory(root);
        Stopwatch clock = Stopwatch.StartNew();
        _logger.LogInformation("Sample data: downloading Debian package {Package} {Version}", package, version);
        (int code, string output) = await RunAsync(_options.AptGet, ["download", $"{package}={version}"], downloads, cancellationToken).ConfigureAwait(false);
        if (code != 0 && output.Contains("was not found", StringComparison.Ordinal))
        {
            // Another Debian release may carry another version; it is accepted only if the files are identical.
            _logger.LogWarning("Sample data: {Package} {Version} is not available; trying the release's version", package, version);
            (code, output) = await RunAsync(_options.AptGet, ["download", package], downloads, cancellationToken).ConfigureAwait(false);
        }

        if (code != 0)
        {
            throw new SampleDataException(DownloadAdvice(package, version, output));
        }

        string? deb = Directory.GetFiles(downloads, "*.deb").SingleOrDefault()
            ?? throw new SampleDataException($"apt-get download {package} reported success but left no .deb file in '{downloads}'. Output: {Tail(output)}");
        (code, output) = await RunAsync(_options.DpkgDeb, ["-x", deb, root], downloads, cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            throw new SampleDataException($"Unpacking '{Path.GetFileName(deb)}' with {_options.DpkgDeb} -x failed (exit {code}): {Tail(output)}");
        }

        foreach (SampleFile file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string extracted = Path.Combine(root, file.PathInPackage.TrimStart('/'));
            if (!File.Exists(extracted))
            {
                throw new SampleDataException($"{Path.GetFileName(deb)} does not contain {file.PathInPackage}; the package layout changed. The catalogue records {package} {version}.");
            }

            string actual = await HashAsync(extracted, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(actual, file.Sha256, StringComparison.Ordinal))
            {
                throw new SampleDataException(
                    $"{file.PathInPackage} from {Path.GetFileName(deb)} has SHA-256 {actual}, but the catalogue records {file.Sha256} " +
                    $"({package} {version}). The file differs from the one the tests and benchmarks were validated with; nothing was cached.");
            }

            string destination = Path.Combine(final, file.PathInPackage.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Move(extracted, destination);
        }

        _logger.LogInformation("Sample data: {Package} verified ({Count} files) in {Milliseconds} ms", package, files.Length, clock.ElapsedMilliseconds);
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        ProcessStartInfo start = new(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new SampleDataException($"'{program}' could not be started.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SampleDataException(
                $"'{program}' could not be run ({e.Message}). Sample data comes from Debian packages through apt-get and dpkg-deb, " +
                $"so it needs a Debian or Ubuntu system; elsewhere, copy the files into '{CacheDirectory}/debian/<package>_<version>/<path>' by hand.", e);
        }

        using (process)
        {
            using CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Timeout);
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            Task<string> stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Only the child we started is stopped.
                process.Kill(entireProcessTree: true);
                cancellationToken.ThrowIfCancellationRequested();
                throw new SampleDataException($"'{program} {string.Join(' ', arguments)}' did not finish within {_options.Timeout}; check the network connection to the Debian mirror.");
            }

            return (process.ExitCode, (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false)));
        }
    }

    private static string DownloadAdvice(string package, string version, string output)
    {
        string advice;
        if (output.Contains("Unable to locate package", StringComparison.Ordinal) || output.Contains("has no installation candidate", StringComparison.Ordinal))
        {
            advice = $"apt does not know the package '{package}'. Run 'apt-get update' (as root) so the package lists are current; " +
                     "the catalogue was made for Debian 12 (bookworm) and needs the 'main' component.";
        }
        else if (output.Contains("Could not resolve", StringComparison.Ordinal) || output.Contains("Failed to fetch", StringComparison.Ordinal) ||
                 output.Contains("Temporary failure", StringComparison.Ordinal) || output.Contains("Could not connect", StringComparison.Ordinal))
        {
            advice = "The Debian mirror could not be reached; check the network connection or the apt proxy settings.";
        }
        else
        {
            advice = "See apt-get's output below.";
        }

        return $"Downloading the Debian package {package} {version} failed. {advice} Nothing was written to the cache. apt-get said: {Tail(output)}";
    }

    private static async Task<FileStream> AcquireLockAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException)
            {
                // Another process is fetching the same package.
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool Matches(string path, SampleFile file)
    {
        FileInfo info = new(path);
        if (!info.Exists || info.Length != file.Size)
        {
            return false;
        }

        string key = $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}|{file.Sha256}";
        if (VerifiedFiles.ContainsKey(key))
        {
            return true;
        }

        using FileStream stream = info.OpenRead();
        bool matches = string.Equals(Convert.ToHexStringLower(SHA256.HashData(stream)), file.Sha256, StringComparison.Ordinal);
        if (matches)
        {
            VerifiedFiles[key] = true;
        }

        return matches;
    }

    private static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    private static string Tail(string output)
    {
        string trimmed = output.Trim();
        return trimmed.Length <= 600 ? trimmed : "…" + trimmed[^600..];
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

namespace Disco.Geo.Samples;

/// <summary>Where <see cref="SampleData"/> keeps files and which tools it runs.</summary>
public sealed record SampleDataOptions
{
    /// <summary>Environment variable that overrides the default cache directory.</summary>
    public const string CacheVariable = "DISCO_GEO_CACHE";

    /// <summary>Cache root; null uses $DISCO_GEO_CACHE, else ~/.cache/disco-geo (XDG_CACHE_HOME respected).</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Use a catalogued file from the installed system path (e.g. /usr/share/…) when its SHA-256 matches. Default true.</summary>
    public bool UseInstalledFiles { get; init; } = true;

    /// <summary>The apt-get program. Default "apt-get".</summary>
    public string AptGet { get; init; } = "apt-get";

    /// <summary>The dpkg-deb program. Default "dpkg-deb".</summary>
    public string DpkgDeb { get; init; } = "dpkg-deb";

    /// <summary>Longest a download and unpack of one package may take. Default 10 minutes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The cache root this configuration resolves to.</summary>
    public string ResolveCacheDirectory()
    {
        if (!string.IsNullOrWhiteSpace(CacheDirectory))
        {
            return Path.GetFullPath(CacheDirectory);
        }

        string? variable = Environment.GetEnvironmentVariable(CacheVariable);
        if (!string.IsNullOrWhiteSpace(variable))
        {
            return Path.GetFullPath(variable);
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrWhiteSpace(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "disco-geo");
    }
}

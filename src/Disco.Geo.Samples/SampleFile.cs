namespace Disco.Geo.Samples;

/// <summary>One file inside a Debian package, identified by its SHA-256.</summary>
/// <param name="Key">Short name, e.g. "bmng-07", "etopo5", "ne-50m-land", "hdri-forest".</param>
/// <param name="Package">Debian package that ships it.</param>
/// <param name="Version">Package version whose file has <paramref name="Sha256"/> (Debian 12 "bookworm").</param>
/// <param name="PathInPackage">Absolute path inside the package (as installed).</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Companions">Other files of the package needed with it (e.g. .shx, .dbf, .prj of a shapefile).</param>
public sealed record SampleFile(string Key, string Package, string Version, string PathInPackage, string Sha256, long Size,
    IReadOnlyList<SampleFile>? Companions = null)
{
    /// <summary>The file and its companions.</summary>
    public IEnumerable<SampleFile> WithCompanions() => Companions is null ? [this] : [this, .. Companions];
}

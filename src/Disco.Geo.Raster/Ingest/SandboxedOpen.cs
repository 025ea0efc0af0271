using Disco.Geo.Gdal;

namespace Disco.Geo.Raster.Ingest;

/// <summary>
/// How every reader of this library opens a source: through its <see cref="SourceSandbox"/> when it has one (untrusted
/// input, e.g. on a server), as a plain <see cref="GdalDataset.Open"/> otherwise (files the caller trusts).
/// </summary>
internal static class SandboxedOpen
{
    public static GdalDataset Open(string path, GdalOpenKind kind, SourceSandbox? sandbox) =>
        sandbox is null ? GdalDataset.Open(path, kind) : sandbox.Open(path, kind);
}

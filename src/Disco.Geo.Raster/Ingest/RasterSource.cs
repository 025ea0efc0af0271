using Disco.Geo.Gdal;

namespace Disco.Geo.Raster.Ingest;

/// <summary>
/// A raster to ingest: one GDAL-readable file (or connection string such as NETCDF:"f.nc":var) or a set of tiles that
/// are mosaicked through a VRT, optionally with georeferencing assigned when the file lacks it or has it wrong.
/// </summary>
public sealed record RasterSource
{
    /// <summary>One path, or several tiles sharing a CRS and band layout.</summary>
    public required IReadOnlyList<string> Paths { get; init; }

    /// <summary>
    /// CRS to assign (any definition GDAL accepts, e.g. "EPSG:4326"), overriding the file's. Without it, a file without
    /// a CRS is assumed to be EPSG:4326 when its bounds look like degrees (noted in the provenance), else rejected.
    /// </summary>
    public string? AssignCrs { get; init; }

    /// <summary>Outer bounds to assign in the CRS units, overriding the file's geotransform (e.g. <see cref="GeoBounds.World"/> for a plate carrée image).</summary>
    public GeoBounds? AssignBounds { get; init; }

    /// <summary>
    /// The files the source may consist of, for input the caller does not trust (uploads, paths named by a client):
    /// the source is opened through it, and refused with <see cref="SourceContainmentException"/> when it or a file it
    /// refers to lies outside. Null for trusted files.
    /// </summary>
    public SourceSandbox? Sandbox { get; init; }

    /// <summary>A single file with its own georeferencing.</summary>
    public static RasterSource File(string path) => new() { Paths = [path] };

    /// <summary>A set of tiles (same CRS and bands), mosaicked with gdalbuildvrt.</summary>
    public static RasterSource Tiles(IEnumerable<string> paths) => new() { Paths = paths.ToArray() };

    /// <summary>
    /// A global plate carrée image without georeferencing (JPEG/PNG world maps): assigns EPSG:4326 and −180..180 × −90..90,
    /// i.e. the left edge is 180° W and the top edge is the north pole.
    /// </summary>
    public static RasterSource GlobalImage(string path) =>
        new() { Paths = [path], AssignCrs = "EPSG:4326", AssignBounds = GeoBounds.World };
}

using Disco.Geo.Gdal;
using Disco.Geo.Grids;

namespace Disco.Geo.Raster.Ingest;

/// <summary>The files of one source of a multi-source ingest and what they may read.</summary>
/// <param name="Paths">One raster or vector file, or several tiles to mosaic.</param>
/// <param name="Sandbox">The files the source may consist of; every open goes through it.</param>
/// <param name="DisplayName">How messages and provenance name the source (an upload's file name), or null for the file's own name.</param>
public sealed record SourceFiles(IReadOnlyList<string> Paths, SourceSandbox Sandbox, string? DisplayName = null)
{
    /// <summary>The variable of a NetCDF or HDF5 file to ingest ("salinity", "/group/var"), or null to read the file as a whole.</summary>
    public string? Variable { get; init; }

    /// <summary>The request field that named <see cref="Variable"/>, for errors about it ("variable", "additional_sources[0].variable").</summary>
    public string? VariableField { get; init; }

    /// <summary>
    /// Where an image without georeferencing lies (EPSG:4326 degrees, outer edges), or null for a whole-Earth plate
    /// carrée (2:1). A georeferenced source with bounds is refused: its own georeferencing wins, silently or not.
    /// </summary>
    public GeoBounds? Bounds { get; init; }
}

/// <summary>
/// One band a multi-source ingest is asked for. Fields keep a request's meaning of "unset": a null role or resampling
/// and an empty name leave the choice to the ingest; a scale of 0 means 1.
/// </summary>
public sealed record SourceBandSpec
{
    /// <summary>0 = the main source, i = additional source i − 1.</summary>
    public int SourceIndex { get; init; }

    /// <summary>The 1-based band of that source (for vector layers the virtual bands: 1 fraction, 2 label, 3… class fields).</summary>
    public int SourceBand { get; init; }

    /// <summary>The band's role, or null to let the source decide (input for rasters).</summary>
    public BandRole? Role { get; init; }

    /// <summary>The band's name, or empty for the source's own.</summary>
    public string Name { get; init; } = "";

    /// <summary>The kernel, or null for the role's default.</summary>
    public Resampling? Resampling { get; init; }

    /// <summary>Multiplies the value after GDAL's own scale; 0 means 1.</summary>
    public double Scale { get; init; }

    /// <summary>Added after <see cref="Scale"/>.</summary>
    public double Offset { get; init; }

    /// <summary>Label bands: source value → class id; empty = the values are the ids.</summary>
    public IReadOnlyDictionary<long, int> LabelMap { get; init; } = new Dictionary<long, int>();
}

/// <summary>What a multi-source ingest reads and from where.</summary>
/// <param name="Sources">Source 0 is the main source, then the additional sources in order.</param>
/// <param name="Grid">The target grid.</param>
/// <param name="Bands">Band selection and roles; empty = every band of every source with its default role.</param>
/// <param name="Limits">Size limits; <see cref="RasterLimits.MaxSourcePixels"/> bounds each source.</param>
public sealed record MultiSourceRequest(IReadOnlyList<SourceFiles> Sources, SphereGrid Grid, IReadOnlyList<SourceBandSpec> Bands, RasterLimits Limits)
{
    /// <summary>The request field of each source, for errors found while inspecting it (e.g. "dataset_id", "additional_sources[0]").</summary>
    public IReadOnlyList<string> SourceFields { get; init; } = [];
}

/// <summary>The sources as inspected and the band specs the ingest will use (defaults filled in, all validated).</summary>
/// <param name="Bands">The band specs.</param>
/// <param name="Sources">The sources, by index.</param>
public sealed record MultiSourcePlan(IReadOnlyList<SourceBandSpec> Bands, IReadOnlyList<IngestSource> Sources);

/// <summary>One band of an assembled ingest.</summary>
/// <param name="Name">Unique name.</param>
/// <param name="Role">Input or label (mask bands are folded into the validity mask).</param>
/// <param name="Resampling">The kernel that brought it onto the grid, or null when unknown.</param>
/// <param name="SourceBand">The 1-based band of its source.</param>
/// <param name="Description">Unit, origin and scaling, for people.</param>
public sealed record AssembledBand(string Name, BandRole Role, Resampling? Resampling, int SourceBand, string Description);

/// <summary>What a multi-source ingest produced: values [bands, nlat, nlon] on the grid, row-major.</summary>
/// <param name="Values">Band values, length bands × nlat × nlon; 0 at invalid nodes.</param>
/// <param name="Mask">Validity per node (1 valid, 0 no data), or null when every node is valid.</param>
/// <param name="Bands">The bands in request order.</param>
/// <param name="ProvenanceJson">Grid, sources (CRS, bounds, size, resampling, notes) and bands as JSON.</param>
public sealed record AssembledIngest(float[] Values, byte[]? Mask, IReadOnlyList<AssembledBand> Bands, string ProvenanceJson)
{
    /// <summary>
    /// The time axis of a time stack, or null for one sample. With an axis, <see cref="Values"/> holds every step's
    /// bands one step after the other ([steps, bands, nlat, nlon]) and <see cref="Bands"/> describes the bands of one step.
    /// </summary>
    public SourceTimeAxis? Time { get; init; }
}

/// <summary>How far a multi-source ingest is.</summary>
/// <param name="Step">The 0-based source being read, or <paramref name="Steps"/> while the bands are assembled.</param>
/// <param name="Steps">How many sources are read.</param>
/// <param name="Source">The source being read, or null while assembling.</param>
/// <param name="Fraction">Share of the source's read done, 0..1.</param>
/// <param name="BandCount">While assembling, the bands being put together; 0 while reading.</param>
public sealed record MultiSourceProgress(int Step, int Steps, IngestSource? Source, double Fraction, int BandCount = 0);

/// <summary>
/// An ingest input the user must fix; the message names the source as the user knows it (an upload by its file name,
/// never a server path).
/// </summary>
/// <param name="message">What is wrong and how to fix it.</param>
/// <param name="field">The request field at fault (e.g. "bands[3].source_band"), when known.</param>
public sealed class IngestInputException(string message, string? field = null) : Exception(message)
{
    /// <summary>The request field at fault, or null when the message names it only in words.</summary>
    public string? Field { get; } = field;
}

/// <summary>A source refers to files outside its <see cref="SourceSandbox"/>; the message says so without server paths.</summary>
/// <param name="message">What was refused (see <see cref="IngestSandboxes.Describe"/>).</param>
public sealed class IngestAccessDeniedException(string message) : Exception(message);

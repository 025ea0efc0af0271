using Disco.Geo.Sphere.Models;

namespace Disco.Geo.Sphere.Packaging;

/// <summary>A segmentation class: its id (the model's output channel), name and display colour ("#RRGGBB").</summary>
/// <param name="Id">Output channel, 0-based.</param>
/// <param name="Name">Human-readable name, e.g. "water".</param>
/// <param name="Color">Display colour as "#RRGGBB".</param>
public sealed record ClassInfo(int Id, string Name, string Color);

/// <summary>An input or output band: its name and the statistics the model normalises it with.</summary>
/// <param name="Name">Band name, e.g. "red" or "elevation_m".</param>
/// <param name="Mean">Area-weighted training mean (for depth outputs: of log depth).</param>
/// <param name="Std">Area-weighted training standard deviation.</param>
public sealed record BandInfo(string Name, double Mean, double Std);

/// <summary>Where the weights sit in the package and how to check them.</summary>
/// <param name="Format">"disco-tensor-dictionary-v1" (see the package format documentation).</param>
/// <param name="Bytes">Length of the weights section.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the weights section.</param>
/// <param name="Tensors">Number of tensors.</param>
public sealed record WeightsInfo(string Format, long Bytes, string Sha256, int Tensors);

/// <summary>
/// The JSON card of a model package: what the model is (architecture, full configuration, grid, task), what it reads
/// and writes (input bands and their normalisation, classes or output bands), where it came from (free-form
/// provenance, final metrics, library versions) and how to check its weights. Property names are snake_case.
/// </summary>
public sealed record ModelCard
{
    /// <summary>The value of <see cref="Format"/>.</summary>
    public const string FormatName = "disco-geo-model";

    /// <summary>Always "disco-geo-model".</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>Package format version (also in the binary header).</summary>
    public int FormatVersion { get; init; }

    /// <summary>Model name.</summary>
    public string Name { get; init; } = "";

    /// <summary>Free-form description.</summary>
    public string? Description { get; init; }

    /// <summary>"disco-unet" or "planar-unet" (copied from the configuration for readers that only list).</summary>
    public string Architecture { get; init; } = "";

    /// <summary>"segmentation", "regression" or "depth".</summary>
    public string Task { get; init; } = "";

    /// <summary>The grid the model runs on.</summary>
    public required GridSpec Grid { get; init; }

    /// <summary>The full configuration that rebuilds the network.</summary>
    public required ModelConfig Config { get; init; }

    /// <summary>Number of learned scalars.</summary>
    public long ParameterCount { get; init; }

    /// <summary>Segmentation classes in output-channel order; empty for other tasks.</summary>
    public IReadOnlyList<ClassInfo> Classes { get; init; } = [];

    /// <summary>Input bands in channel order, with the normalisation applied inside the model.</summary>
    public IReadOnlyList<BandInfo> InputBands { get; init; } = [];

    /// <summary>Output bands of regression and depth models, with the target statistics; empty for segmentation.</summary>
    public IReadOnlyList<BandInfo> OutputBands { get; init; } = [];

    /// <summary>Training data provenance: free-form key/value pairs supplied by the caller.</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; init; } = new Dictionary<string, string>();

    /// <summary>Final metrics (e.g. validation miou), supplied by the caller.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Versions of Disco.Geo, TorchSharp, libtorch and .NET that wrote the package.</summary>
    public IReadOnlyDictionary<string, string> LibraryVersions { get; init; } = new Dictionary<string, string>();

    /// <summary>When the package was written (UTC, ISO 8601).</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>The weights section.</summary>
    public required WeightsInfo Weights { get; init; }
}

/// <summary>What the caller adds to a package besides the model itself.</summary>
public sealed record ModelCardInfo
{
    /// <summary>Model name (required, non-blank).</summary>
    public string Name { get; init; } = "";

    /// <summary>Free-form description.</summary>
    public string? Description { get; init; }

    /// <summary>Segmentation class names in output-channel order (required for segmentation; one per class).</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>Class colours "#RRGGBB" (optional; a built-in palette fills in).</summary>
    public IReadOnlyList<string>? ClassColors { get; init; }

    /// <summary>Input band names (optional; "band_0", … by default).</summary>
    public IReadOnlyList<string>? InputBandNames { get; init; }

    /// <summary>Output band names for regression and depth (optional; "output_0" or "depth" by default).</summary>
    public IReadOnlyList<string>? OutputBandNames { get; init; }

    /// <summary>Training data provenance, free-form.</summary>
    public IReadOnlyDictionary<string, string>? Provenance { get; init; }

    /// <summary>Final metrics to record (non-finite values are left out).</summary>
    public IReadOnlyDictionary<string, double>? Metrics { get; init; }
}

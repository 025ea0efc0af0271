using System.Text.Json;
using System.Text.Json.Serialization;
using Disco.Geo.Grids;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Psi;

namespace Disco.Geo.Sphere.Models;

/// <summary>
/// Everything needed to build a model, as a serialisable record (see <see cref="ToJson"/>): architecture, task, input
/// and output channels, the grid, the U-Net's widths and depths, and the DISCO filter settings. The same record builds
/// the DISCO U-Net and the planar baseline (<see cref="SphereModelFactory.Create"/>); the filter settings are ignored by
/// the planar baseline, which always uses 3×3 kernels.
/// </summary>
/// <remarks>
/// Level l runs on the l-th grid of <see cref="GridPyramid.Build"/>, with <see cref="Channels"/>[l] channels and
/// <see cref="Blocks"/>[l] residual blocks in the encoder and again in the decoder (the last level is the bottleneck
/// and has encoder blocks only). <see cref="CutoffRadians"/> is the DISCO filter radius at level 0; level l uses
/// 2^l times it, as its grid spacing is 2^l times larger, and a down- or up-sampling layer between levels l and l+1
/// uses the radius of level l+1. Null takes <see cref="ThetaCutoff.Default"/> for every layer.
/// </remarks>
public sealed record ModelConfig
{
    /// <summary>Largest accepted channel count of a level.</summary>
    public const int MaxChannels = 4096;

    /// <summary>Largest accepted number of levels.</summary>
    public const int MaxLevels = 8;

    /// <summary>Levels of <see cref="Create"/> when none are given.</summary>
    public const int DefaultLevels = 4;

    /// <summary>
    /// Channels of the finest level of <see cref="Create"/> when none are given (doubled per level): 10, which gives the
    /// default (3, 4) kernel (K = 5 weights per channel pair) about the parameter count of the former isotropic default
    /// (K = 2, 16 channels): 154 k against 166 k for 3 inputs and 2 classes.
    /// </summary>
    public const int DefaultBaseChannels = 10;

    /// <summary>
    /// Filter radius of <see cref="Create"/> in latitude steps of the model's grid (doubled per level with the grid
    /// spacing): 1.5 steps reach the eight neighbours of a node on the equator, the support of a planar 3×3 kernel. The
    /// architecture search (bench/RESULTS.md, "DISCO architecture search") measured the compact support as the largest
    /// single gain over the basis' own default of 2 steps.
    /// </summary>
    public const double DefaultCutoffGridSteps = 1.5;

    /// <summary>Residual blocks per level of <see cref="Create"/> when none are given.</summary>
    public const int DefaultBlocksPerLevel = 1;

    /// <summary>Network family. Default the DISCO U-Net.</summary>
    public ModelArchitecture Architecture { get; init; } = ModelArchitecture.DiscoUnet;

    /// <summary>What the model predicts. Default segmentation.</summary>
    public ModelTask Task { get; init; } = ModelTask.Segmentation;

    /// <summary>Input bands.</summary>
    public int InputChannels { get; init; } = 3;

    /// <summary>Classes (segmentation), outputs (regression) or 1 (depth).</summary>
    public int OutputChannels { get; init; } = 2;

    /// <summary>The grid inputs and outputs live on. Default equiangular 181×360 (1°).</summary>
    public GridSpec Grid { get; init; } = new(GridKind.Equiangular, 181, 360, -180.0);

    /// <summary>Channels per level, finest first; the count is the number of levels. Default [16, 32, 64, 128].</summary>
    public IReadOnlyList<int> Channels { get; init; } = [16, 32, 64, 128];

    /// <summary>Residual blocks per level (encoder, and again in the decoder). Default one per level.</summary>
    public IReadOnlyList<int> Blocks { get; init; } = [1, 1, 1, 1];

    /// <summary>
    /// DISCO kernel shape. Default (3, 4): a centre hat and one ring of 4 sectors, K = 5 (directional, so equivariant to
    /// rotations about the poles, not to all rotations). [3] is the isotropic kernel (K = 2), equivariant to all rotations.
    /// </summary>
    public IReadOnlyList<int> KernelShape { get; init; } = [3, 4];

    /// <summary>DISCO filter basis. Default piecewise linear.</summary>
    public BasisType Basis { get; init; } = BasisType.PiecewiseLinear;

    /// <summary>DISCO basis normalisation. Default nodal.</summary>
    public BasisNormalization BasisNormalization { get; init; } = BasisNormalization.Nodal;

    /// <summary>
    /// DISCO filter radius at level 0 in radians, or null for the basis' own well-conditioned default (see the remarks).
    /// <see cref="Create"/> sets it to <see cref="DefaultCutoffGridSteps"/> grid steps.
    /// </summary>
    public double? CutoffRadians { get; init; }

    /// <summary>
    /// Orientation pooling in every DISCO layer (see <see cref="Convolution.DiscoConvOptions.OrientationPooling"/>):
    /// directional filters answer to their pattern in each of the kernel's sector rotations. Default false.
    /// </summary>
    public bool OrientationPooling { get; init; }

    /// <summary>How features are normalised. Default root mean square (see <see cref="FeatureNormalization"/>).</summary>
    public FeatureNormalization Normalization { get; init; } = FeatureNormalization.RootMeanSquare;

    /// <summary>Groups of the (area-weighted) group normalisation; reduced per level to the largest divisor of its channels. Default 8.</summary>
    public int NormGroups { get; init; } = 8;

    /// <summary>Number of levels (<see cref="Channels"/>.Count).</summary>
    [JsonIgnore]
    public int Levels => Channels?.Count ?? 0;

    /// <summary>
    /// A configuration with <paramref name="levels"/> levels of <paramref name="baseChannels"/>·2^l channels and
    /// <paramref name="blocksPerLevel"/> blocks each, the shape the API's ModelConfig message describes.
    /// </summary>
    public static ModelConfig Create(
        ModelTask task, int inputChannels, int outputChannels, SphereGrid grid, int levels = DefaultLevels, int baseChannels = DefaultBaseChannels, int blocksPerLevel = DefaultBlocksPerLevel)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (levels < 1 || levels > MaxLevels)
        {
            throw new ArgumentException($"levels = {levels} is out of range; use 1..{MaxLevels}.", nameof(levels));
        }

        if (baseChannels < 1 || (long)baseChannels << (levels - 1) > MaxChannels)
        {
            throw new ArgumentException(
                $"base_channels = {baseChannels} with {levels} levels gives up to {(long)baseChannels << (levels - 1)} channels; use 1..{MaxChannels} at every level.",
                nameof(baseChannels));
        }

        return new ModelConfig
        {
            Task = task,
            InputChannels = inputChannels,
            OutputChannels = outputChannels,
            Grid = GridSpec.From(grid),
            Channels = Enumerable.Range(0, levels).Select(l => baseChannels << l).ToArray(),
            Blocks = Enumerable.Repeat(blocksPerLevel, levels).ToArray(),
            CutoffRadians = DefaultCutoff(grid, levels),
        };
    }

    /// <summary>
    /// The filter radius <see cref="Create"/> gives: <see cref="DefaultCutoffGridSteps"/> latitude steps of
    /// <paramref name="grid"/> (the largest gap, see <see cref="ThetaCutoff.MaxLatitudeStep"/>), at most what
    /// <paramref name="levels"/> doublings allow (π at the coarsest level) on very coarse grids.
    /// </summary>
    public static double DefaultCutoff(SphereGrid grid, int levels)
    {
        ArgumentNullException.ThrowIfNull(grid);
        return Math.Min(DefaultCutoffGridSteps * ThetaCutoff.MaxLatitudeStep(grid), Math.PI / Math.Pow(2, Math.Max(0, levels - 1)));
    }

    /// <summary>
    /// The former default DISCO U-Net, kept as the isotropic reference of the benchmarks and speed comparisons: 4 levels
    /// of [16, 32, 64, 128] channels, one residual block per level, isotropic piecewise linear [3] kernels
    /// (equivariant to all rotations) with the basis' own cutoff, on <paramref name="grid"/>.
    /// </summary>
    public static ModelConfig Reference(ModelTask task, int inputChannels, int outputChannels, SphereGrid grid) =>
        Create(task, inputChannels, outputChannels, grid, levels: 4, baseChannels: 16, blocksPerLevel: 1) with { KernelShape = [3], CutoffRadians = null };

    /// <summary>The grids of the levels, finest first.</summary>
    /// <exception cref="ArgumentException">The grid or the number of levels is invalid.</exception>
    public IReadOnlyList<SphereGrid> LevelGrids() => GridPyramid.Build(Grid.ToGrid(), Levels);

    /// <summary>The DISCO filter radius of a layer at <paramref name="level"/>, or null for the default.</summary>
    public double? CutoffAt(int level) => CutoffRadians is double cutoff ? cutoff * Math.Pow(2, level) : null;

    /// <summary>Checks every field and that the grid can be halved for every level.</summary>
    /// <exception cref="ArgumentException">The first problem found, naming the field and how to fix it.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Architecture))
        {
            throw new ArgumentException($"Unknown architecture {(int)Architecture}; use disco-unet or planar-unet.", nameof(Architecture));
        }

        if (!Enum.IsDefined(Task))
        {
            throw new ArgumentException($"Unknown task {(int)Task}; use segmentation, regression or depth.", nameof(Task));
        }

        if (InputChannels < 1 || InputChannels > MaxChannels)
        {
            throw new ArgumentException($"input_channels = {InputChannels} is out of range; use 1..{MaxChannels}.", nameof(InputChannels));
        }

        int minimumOutputs = Task == ModelTask.Segmentation ? 2 : 1;
        if (OutputChannels < minimumOutputs || OutputChannels > MaxChannels)
        {
            string what = Task switch
            {
                ModelTask.Segmentation => "segmentation needs at least 2 classes",
                _ => "give at least 1 output",
            };
            throw new ArgumentException($"output_channels = {OutputChannels} is invalid: {what} (at most {MaxChannels}).", nameof(OutputChannels));
        }

        if (Task == ModelTask.Depth && OutputChannels != 1)
        {
            throw new ArgumentException($"output_channels = {OutputChannels}: a depth model predicts exactly 1 channel.", nameof(OutputChannels));
        }

        if (Grid is null)
        {
            throw new ArgumentException("grid is missing: give the kind, nlat and nlon the model runs on.", nameof(Grid));
        }

        if (Channels is null || Channels.Count < 1 || Channels.Count > MaxLevels)
        {
            throw new ArgumentException($"channels must list 1..{MaxLevels} levels, got {Channels?.Count ?? 0}.", nameof(Channels));
        }

        if (Channels.Any(c => c < 1 || c > MaxChannels))
        {
            throw new ArgumentException($"channels [{string.Join(", ", Channels)}] must each be in 1..{MaxChannels}.", nameof(Channels));
        }

        if (Blocks is null || Blocks.Count != Channels.Count || Blocks.Any(b => b < 0 || b > 16))
        {
            throw new ArgumentException(
                $"blocks [{string.Join(", ", Blocks ?? [])}] must give 0..16 residual blocks for each of the {Channels.Count} levels.", nameof(Blocks));
        }

        if (!Enum.IsDefined(Normalization))
        {
            throw new ArgumentException($"Unknown normalization {(int)Normalization}; use root-mean-square or mean-and-variance.", nameof(Normalization));
        }

        if (NormGroups < 1)
        {
            throw new ArgumentException($"norm_groups = {NormGroups} must be at least 1.", nameof(NormGroups));
        }

        if (Architecture == ModelArchitecture.DiscoUnet)
        {
            if (!Enum.IsDefined(Basis))
            {
                throw new ArgumentException($"Unknown basis {(int)Basis}; use piecewise-linear, harmonic or zernike.", nameof(Basis));
            }

            if (!Enum.IsDefined(BasisNormalization))
            {
                throw new ArgumentException($"Unknown basis normalisation {(int)BasisNormalization}.", nameof(BasisNormalization));
            }

            if (KernelShape is null)
            {
                throw new ArgumentException("kernel_shape is missing; give e.g. [3] (isotropic) or [3, 3].", nameof(KernelShape));
            }

            FilterBasis basis = FilterBasis.Create(Basis, [.. KernelShape]);
            if (OrientationPooling && basis.DiscreteRotations < 2)
            {
                throw new ArgumentException(
                    $"orientation_pooling needs a directional piecewise linear kernel such as [3, 4]; {basis} has no sector rotations.", nameof(OrientationPooling));
            }

            if (CutoffRadians is double cutoff && (!double.IsFinite(cutoff) || cutoff <= 0 || cutoff * Math.Pow(2, Levels - 1) > Math.PI))
            {
                throw new ArgumentException(
                    $"cutoff_radians = {cutoff} is invalid: it must be positive and, doubled at each of the {Levels} levels, stay at most π. Omit it for the default.",
                    nameof(CutoffRadians));
            }
        }

        _ = LevelGrids();
    }

    /// <summary>The configuration as indented JSON (snake_case names, enums as kebab-case strings).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ModelJson.Options);

    /// <summary>Reads and validates a configuration written by <see cref="ToJson"/>.</summary>
    /// <exception cref="ArgumentException">The JSON is malformed or the configuration invalid.</exception>
    public static ModelConfig FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        ModelConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<ModelConfig>(json, ModelJson.Options);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"The model configuration is not valid JSON for a ModelConfig: {e.Message}", nameof(json), e);
        }

        if (config is null)
        {
            throw new ArgumentException("The model configuration is JSON null.", nameof(json));
        }

        config.Validate();
        return config;
    }

    /// <summary>Value equality, comparing lists element by element.</summary>
    public bool Equals(ModelConfig? other) =>
        other is not null &&
        Architecture == other.Architecture && Task == other.Task &&
        InputChannels == other.InputChannels && OutputChannels == other.OutputChannels &&
        Equals(Grid, other.Grid) &&
        SequenceEqual(Channels, other.Channels) && SequenceEqual(Blocks, other.Blocks) && SequenceEqual(KernelShape, other.KernelShape) &&
        Basis == other.Basis && BasisNormalization == other.BasisNormalization &&
        Nullable.Equals(CutoffRadians, other.CutoffRadians) && Normalization == other.Normalization && NormGroups == other.NormGroups &&
        OrientationPooling == other.OrientationPooling;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Architecture, Task, InputChannels, OutputChannels, Grid, Levels, NormGroups);

    private static bool SequenceEqual(IReadOnlyList<int>? a, IReadOnlyList<int>? b) =>
        a is null ? b is null : b is not null && a.SequenceEqual(b);
}

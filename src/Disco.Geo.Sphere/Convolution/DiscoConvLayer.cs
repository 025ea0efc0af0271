using Disco.Geo.Grids;
using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Psi;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Convolution;

/// <summary>
/// What forward and transposed DISCO convolutions share: grids, basis, psi and its contraction, and the parameters
/// <c>weight</c> (Cout, Cin/groups, K) and <c>bias</c> (Cout), created and initialised exactly like torch-harmonics'
/// (weight ~ N(0, 1/(groupsize·K)), bias 0), so a torch-harmonics layer's state dict loads one to one.
/// </summary>
public abstract class DiscoConvLayer : nn.Module<Tensor, Tensor>
{
    private readonly IDiscoContraction _contraction;

    // Field names are the state-dict names: "weight" and "bias", as in torch-harmonics.
#pragma warning disable IDE1006 // TorchSharp registers parameters under their field names.
    private readonly Parameter weight;
    private readonly Parameter? bias;
#pragma warning restore IDE1006

    private protected DiscoConvLayer(
        string name, int inChannels, int outChannels, SphereGrid inGrid, SphereGrid outGrid, DiscoConvOptions options, bool transpose, ContractionBackend backend)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(inGrid);
        ArgumentNullException.ThrowIfNull(outGrid);
        ArgumentNullException.ThrowIfNull(options);
        if (inChannels < 1)
        {
            throw new ArgumentException($"in_channels = {inChannels} must be at least 1.", nameof(inChannels));
        }

        if (outChannels < 1)
        {
            throw new ArgumentException($"out_channels = {outChannels} must be at least 1.", nameof(outChannels));
        }

        if (options.Groups < 1 || inChannels % options.Groups != 0 || outChannels % options.Groups != 0)
        {
            throw new ArgumentException(
                $"groups = {options.Groups} must divide both in_channels ({inChannels}) and out_channels ({outChannels}).", nameof(options));
        }

        SphereGrid fine = transpose ? outGrid : inGrid;
        SphereGrid coarse = transpose ? inGrid : outGrid;
        if (fine.NLon % coarse.NLon != 0)
        {
            string what = transpose ? "nlon_out must be a multiple of nlon_in for a transposed DISCO convolution"
                                    : "nlon_in must be a multiple of nlon_out for a DISCO convolution (use the transposed layer to upsample)";
            throw new ArgumentException($"{what}: got nlon_in = {inGrid.NLon}, nlon_out = {outGrid.NLon}.", transpose ? nameof(outGrid) : nameof(inGrid));
        }

        Basis = FilterBasis.Create(options.BasisType, [.. options.KernelShape]);
        double cutoff = options.ThetaCutoff ?? Psi.ThetaCutoff.Default(Basis, inGrid, outGrid);
        if (!(cutoff > 0) || !double.IsFinite(cutoff) || cutoff > Math.PI)
        {
            throw new ArgumentException(
                $"theta_cutoff = {cutoff} is invalid: give a positive angle in radians, at most π (or null for the default).", nameof(options));
        }

        if (options.OrientationPooling && Basis.DiscreteRotations < 2)
        {
            throw new ArgumentException(
                $"orientation pooling needs a directional basis that rotates onto itself, such as piecewise linear (3, 4); {Basis} has no sector rotations.", nameof(options));
        }

        InChannels = inChannels;
        OutChannels = outChannels;
        InGrid = inGrid;
        OutGrid = outGrid;
        Options = options;
        ThetaCutoffRadians = cutoff;
        PsiSpec spec = new(coarse, fine, Basis, cutoff, options.Normalization, transpose);
        _contraction = DiscoContraction.Create(PsiCache.Shared.GetOrBuild(spec), backend);

        int groupSize = inChannels / options.Groups;
        int kernelSize = Basis.KernelSize;
        double scale = Math.Sqrt(1.0 / groupSize) / Math.Sqrt(kernelSize);
        using (no_grad())
        {
            using Scalar scaleScalar = scale.ToScalar();
            weight = new Parameter(randn(outChannels, groupSize, kernelSize).mul_(scaleScalar));
            bias = options.Bias ? new Parameter(zeros(outChannels)) : null;
        }

        RegisterComponents();
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>The grid inputs live on.</summary>
    public SphereGrid InGrid { get; }

    /// <summary>The grid outputs live on.</summary>
    public SphereGrid OutGrid { get; }

    /// <summary>The filter settings.</summary>
    public DiscoConvOptions Options { get; }

    /// <summary>The filter basis.</summary>
    public FilterBasis Basis { get; }

    /// <summary>The cutoff actually used (the default resolved).</summary>
    public double ThetaCutoffRadians { get; }

    /// <summary>Learned basis weights, shape (Cout, Cin/groups, K).</summary>
    public Parameter Weight => weight;

    /// <summary>Learned bias (Cout), or null without bias.</summary>
    public Parameter? BiasParameter => bias;

    /// <summary>Stored psi entries (explicit zeros included).</summary>
    public int PsiEntries => _contraction.Psi.StoredEntries;

    private protected IDiscoContraction Contraction => _contraction;

    /// <summary>Checks an input tensor against the layer, naming what is wrong and how to fix it.</summary>
    private protected void ValidateInput(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4)
        {
            throw new ArgumentException(
                $"{GetName()} expects a 4-D tensor [batch, {InChannels}, {InGrid.NLat}, {InGrid.NLon}], got shape [{string.Join(", ", x.shape)}].", nameof(x));
        }

        if (x.shape[1] != InChannels || x.shape[2] != InGrid.NLat || x.shape[3] != InGrid.NLon)
        {
            throw new ArgumentException(
                $"{GetName()} expects [batch, {InChannels}, {InGrid.NLat}, {InGrid.NLon}] ({InGrid}), got [{string.Join(", ", x.shape)}].", nameof(x));
        }

        if (x.dtype != ScalarType.Float32 && x.dtype != ScalarType.Float64)
        {
            throw new ArgumentException($"{GetName()} computes in float32 or float64, got {x.dtype}: convert the input with .to(float32).", nameof(x));
        }

        if (x.dtype != weight.dtype)
        {
            throw new ArgumentException(
                $"{GetName()} has {weight.dtype} weights but got a {x.dtype} input: convert one of them (module.to(dtype) or x.to(dtype)).", nameof(x));
        }

        if (x.device_type != weight.device_type || x.device_index != weight.device_index)
        {
            throw new ArgumentException(
                $"{GetName()} lives on {weight.device} but the input is on {x.device}: move one of them (module.to(device) or x.to(device)).", nameof(x));
        }
    }

    /// <summary>Output channels the mixing computes: one per orientation with orientation pooling.</summary>
    private protected int MixedChannels => Options.OrientationPooling ? OutChannels * Basis.DiscreteRotations : OutChannels;

    /// <summary>
    /// The weight the mixing uses: <see cref="Weight"/>, or with orientation pooling the filters in every discrete
    /// rotation, (R·Cout, Cin/groups, K) with rotation r in rows r·Cout … (r+1)·Cout − 1. Differentiable.
    /// </summary>
    private protected Tensor MixingWeight()
    {
        if (!Options.OrientationPooling)
        {
            return weight;
        }

        int rotations = Basis.DiscreteRotations;
        Tensor[] rotated = new Tensor[rotations];
        for (int r = 0; r < rotations; r++)
        {
            using Tensor index = tensor(Basis.RotationPermutation(r).Select(k => (long)k).ToArray(), device: weight.device);
            rotated[r] = weight.index_select(2, index);
        }

        if (Options.Groups == 1)
        {
            return cat(rotated, 0);
        }

        // Keep each group's rows together so that the grouped mixing sees R·Og rows per group.
        int groupOut = OutChannels / Options.Groups;
        return stack(rotated.Select(w => w.view(Options.Groups, groupOut, w.shape[1], w.shape[2])).ToArray(), 1)
            .reshape(MixedChannels, weight.shape[1], weight.shape[2]);
    }

    /// <summary>
    /// With orientation pooling, the largest of the R rotations' responses per output channel: [B, R·Cout, H, W] (laid
    /// out as <see cref="MixingWeight"/>) → [B, Cout, H, W]; otherwise <paramref name="y"/> itself.
    /// </summary>
    private protected Tensor PoolOrientations(Tensor y)
    {
        if (!Options.OrientationPooling)
        {
            return y;
        }

        int rotations = Basis.DiscreteRotations;
        long batch = y.shape[0];
        return Options.Groups == 1
            ? y.view(batch, rotations, OutChannels, y.shape[2], y.shape[3]).amax([1])
            : y.view(batch, Options.Groups, rotations, OutChannels / Options.Groups, y.shape[2], y.shape[3]).amax([2])
                .view(batch, OutChannels, y.shape[2], y.shape[3]);
    }

    /// <summary>Adds the bias, if any.</summary>
    private protected Tensor AddBias(Tensor y) => bias is null ? y : y.add(bias.view(1, -1, 1, 1), Runtime.Scalars.One);

    /// <summary>
    /// Adds the bias into <paramref name="y"/> itself: for a fresh output nothing else holds (the fused kernel's), this
    /// saves allocating and first-touching a second output-sized tensor per call.
    /// </summary>
    private protected Tensor AddBiasInPlace(Tensor y) => bias is null ? y : y.add_(bias.view(1, -1, 1, 1), Runtime.Scalars.One);

    /// <summary>Disposes the contraction's cached device data with the module.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _contraction.Dispose();
        }

        base.Dispose(disposing);
    }
}

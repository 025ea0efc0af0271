using Disco.Geo.Grids;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Models;

/// <summary>How the U-Nets normalise features (per sample, per group of channels).</summary>
public enum FeatureNormalization
{
    /// <summary>
    /// Divide by the root mean square, x / √(E[x²] + ε), without subtracting the mean (RMSNorm, Zhang &amp; Sennrich 2019,
    /// applied per group). The default: it keeps the sign of every feature, so absolute levels — "darker than the
    /// training mean", "above sea level" — survive normalisation. Measured: a DISCO U-Net segmenting where an input band
    /// is positive reaches test mIoU 0.92 with it and 0.57 with <see cref="MeanAndVariance"/>, which rescales each
    /// globe against its own mean and so learns thresholds that do not transfer between samples.
    /// </summary>
    RootMeanSquare,

    /// <summary>Subtract the mean and divide by the standard deviation (group norm, Wu &amp; He 2018).</summary>
    MeanAndVariance,
}

/// <summary>
/// Group normalisation whose statistics are integrals over the sphere (for the DISCO U-Net) or plain pixel averages
/// (for the planar baseline). With area weighting, E[·] is the quadrature average Σ a_i x_i / Σ a_i with a_i the node
/// areas: on an equiangular grid a pixel average gives the two polar rows (≈ 0 sr) as much weight as the equator, the
/// quadrature average gives every part of the globe its true area and — being an integral — does not change when the
/// input is rotated, so the layer keeps the network rotation-equivariant. Statistics are per sample, so training and
/// inference behave identically and batch size 1 works. A learned per-channel scale and shift follow.
/// </summary>
internal sealed class SphereGroupNorm : nn.Module<Tensor, Tensor>
{
    private readonly int _channels;
    private readonly int _groups;
    private readonly double _eps;

    // Held for the module's lifetime: see Runtime.Scalars.
    private readonly Scalar _epsScalar;
    private readonly SphereGrid _grid;
    private readonly bool _centre;

    // Fields carry their state-dict names: RegisterComponents registers fields by name, and TorchSharp's
    // to(device | dtype) replaces owned tensors and re-binds the field of the same name. The row weights are saved
    // with the weights, so a state dict from another grid fails to load instead of silently mis-weighting.
#pragma warning disable IDE1006
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Tensor row_weights;
#pragma warning restore IDE1006

    public SphereGroupNorm(string name, int channels, int groups, SphereGrid grid, FeatureNormalization kind, bool areaWeighted, double eps = 1e-5)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (channels < 1 || groups < 1 || channels % groups != 0)
        {
            throw new ArgumentException($"{name}: groups = {groups} must divide channels = {channels}.", nameof(groups));
        }

        _channels = channels;
        _groups = groups;
        _eps = eps;
        _epsScalar = Runtime.Scalars.Constant(eps);
        _grid = grid;
        _centre = kind == FeatureNormalization.MeanAndVariance;
        weight = new Parameter(ones(channels));
        bias = new Parameter(zeros(channels));

        // w_i / Σ_i w_i per row, so that Σ_i w_i · (mean over the row's columns) is the sphere (or image) average.
        double[] rows = areaWeighted ? grid.RowAreas() : Enumerable.Repeat(1.0, grid.NLat).ToArray();
        double total = rows.Sum();
        row_weights = tensor(rows.Select(a => (float)(a / total)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using DisposeScope scope = NewDisposeScope();
        long batch = x.shape[0];
        long groupSize = _channels / _groups;
        Tensor rowWeights = row_weights.to(x.dtype);

        // Each row has equal-area nodes, so plain row means of x and x² are exact; the group's moments are their
        // weighted averages over rows, and σ² = E[x²] − μ². Two cheap reductions replace materialising x − μ (measured
        // 2× faster at 361×720 than the two-pass form, 10× faster than var_mean's Welford loop); the cancellation error
        // is ~1e-7·μ²/σ², negligible for network activations, and the variance is clamped at 0.
        Tensor meanSquare = matmul(x.square().mean([-1]).view(batch, _groups, groupSize, _grid.NLat), rowWeights).mean([-1]);
        Tensor mean, inverseScale;
        if (_centre)
        {
            mean = matmul(x.mean([-1]).view(batch, _groups, groupSize, _grid.NLat), rowWeights).mean([-1]);
            inverseScale = (meanSquare - mean.square()).clamp_min(Runtime.Scalars.Zero).add(_epsScalar, Runtime.Scalars.One).rsqrt();
        }
        else
        {
            mean = zeros_like(meanSquare);
            inverseScale = meanSquare.add(_epsScalar, Runtime.Scalars.One).rsqrt();
        }

        // Fold normalisation and the learned affine map into one scale and shift per (sample, channel).
        Tensor scale = inverseScale.view(batch, _groups, 1).expand(batch, _groups, groupSize).reshape(batch, _channels) * weight;
        Tensor shift = bias - (mean.view(batch, _groups, 1).expand(batch, _groups, groupSize).reshape(batch, _channels) * scale);
        Tensor y = addcmul(shift.view(batch, _channels, 1, 1), x, scale.view(batch, _channels, 1, 1), Runtime.Scalars.One);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The largest divisor of <paramref name="channels"/> not above <paramref name="groups"/>.</summary>
    public static int GroupsFor(int channels, int groups)
    {
        for (int g = Math.Min(groups, channels); g > 1; g--)
        {
            if (channels % g == 0)
            {
                return g;
            }
        }

        return 1;
    }
}

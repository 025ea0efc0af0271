using Disco.Geo.Grids;
using Disco.Geo.Sphere.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Metrics;

/// <summary>
/// The standard monocular depth metrics (Eigen et al. 2014), area-weighted over valid nodes with positive true depth:
/// AbsRel = E[|ŷ − y| / y], RMSE = √E[(ŷ − y)²], and δ &lt; 1.25^k = the area fraction where max(ŷ/y, y/ŷ) &lt; 1.25^k
/// for k = 1, 2, 3.
/// </summary>
public sealed class DepthMetrics
{
    // Static, so reachable for the process's lifetime: see Runtime.Scalars.
    private static readonly Scalar Smallest = Runtime.Scalars.Constant(1e-12);

    private readonly SphereGrid _grid;
    private double _weight;
    private double _absRel;
    private double _squared;
    private double _absolute;
    private readonly double[] _within = new double[3];

    /// <summary>Creates an empty accumulator.</summary>
    public DepthMetrics(SphereGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        _grid = grid;
    }

    /// <summary>Mean absolute relative error.</summary>
    public double AbsRel => _absRel / _weight;

    /// <summary>Root mean squared error in depth units.</summary>
    public double Rmse => Math.Sqrt(_squared / _weight);

    /// <summary>Mean absolute error in depth units.</summary>
    public double Mae => _absolute / _weight;

    /// <summary>Area fraction with max(ŷ/y, y/ŷ) &lt; 1.25^<paramref name="k"/>, k = 1, 2 or 3.</summary>
    public double Delta(int k) => k is >= 1 and <= 3
        ? _within[k - 1] / _weight
        : throw new ArgumentOutOfRangeException(nameof(k), k, "k is 1, 2 or 3.");

    /// <summary>Adds predicted and true depths [B, 1, H, W] and an optional mask [B, H, W].</summary>
    /// <exception cref="ArgumentException">Shapes disagree.</exception>
    public void Update(Tensor predictedDepth, Tensor targetDepth, Tensor? mask = null)
    {
        MetricInputs.CheckPair(predictedDepth, targetDepth, mask, _grid, 1);
        using DisposeScope scope = NewDisposeScope();
        Tensor y = targetDepth.to(ScalarType.Float64);
        Tensor valid = MetricInputs.Valid(mask, y).logical_and(y.gt(Runtime.Scalars.Zero)).logical_and(y.isfinite());
        Tensor safeY = where(valid, y, ones_like(y));

        // A non-positive prediction is as wrong as it gets: clamp so ratios stay finite and count as misses.
        Tensor p = where(valid, predictedDepth.to(ScalarType.Float64), ones_like(y)).clamp_min(Smallest);
        Tensor w = valid.to(ScalarType.Float64) * AreaWeights.Rows(_grid, y, ScalarType.Float64);
        Tensor error = p.sub(safeY);
        Tensor ratio = maximum(p / safeY, safeY / p);
        _weight += w.sum().item<double>();
        _absRel += (error.abs() / safeY * w).sum().item<double>();
        _squared += (error * error * w).sum().item<double>();
        _absolute += (error.abs() * w).sum().item<double>();
        for (int k = 1; k <= 3; k++)
        {
            using Scalar bound = Math.Pow(1.25, k).ToScalar();
            _within[k - 1] += (ratio.lt(bound).to(ScalarType.Float64) * w).sum().item<double>();
        }
    }

    /// <summary>"abs_rel", "rmse", "mae", "delta1", "delta2", "delta3".</summary>
    public IReadOnlyDictionary<string, double> ToDictionary() => new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["abs_rel"] = AbsRel,
        ["rmse"] = Rmse,
        ["mae"] = Mae,
        ["delta1"] = Delta(1),
        ["delta2"] = Delta(2),
        ["delta3"] = Delta(3),
    };
}

using Disco.Geo.Grids;
using Disco.Geo.Sphere.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Metrics;

/// <summary>
/// Accumulates area-weighted RMSE and MAE of predictions against targets (in the targets' units) over valid nodes,
/// per band and over all bands: RMSE = √(Σ a m (ŷ − y)² / Σ a m).
/// </summary>
public sealed class RegressionMetrics
{
    private readonly SphereGrid _grid;
    private readonly double[] _squared;
    private readonly double[] _absolute;
    private readonly double[] _weight;

    /// <summary>Creates an empty accumulator for <paramref name="bands"/> output bands.</summary>
    public RegressionMetrics(int bands, SphereGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (bands < 1)
        {
            throw new ArgumentException($"bands = {bands} must be at least 1.", nameof(bands));
        }

        _grid = grid;
        _squared = new double[bands];
        _absolute = new double[bands];
        _weight = new double[bands];
    }

    /// <summary>RMSE over all bands.</summary>
    public double Rmse => Math.Sqrt(_squared.Sum() / _weight.Sum());

    /// <summary>MAE over all bands.</summary>
    public double Mae => _absolute.Sum() / _weight.Sum();

    /// <summary>RMSE of one band.</summary>
    public double BandRmse(int band) => Math.Sqrt(_squared[band] / _weight[band]);

    /// <summary>MAE of one band.</summary>
    public double BandMae(int band) => _absolute[band] / _weight[band];

    /// <summary>Adds a batch of predictions and targets [B, T, H, W] with an optional mask [B, H, W]; non-finite targets are left out.</summary>
    /// <exception cref="ArgumentException">Shapes disagree.</exception>
    public void Update(Tensor prediction, Tensor target, Tensor? mask = null)
    {
        MetricInputs.CheckPair(prediction, target, mask, _grid, _weight.Length);
        using DisposeScope scope = NewDisposeScope();
        Tensor p = prediction.to(ScalarType.Float64);
        Tensor y = target.to(ScalarType.Float64);
        Tensor valid = MetricInputs.Valid(mask, y).logical_and(y.isfinite());
        Tensor weight = valid.to(ScalarType.Float64) * AreaWeights.Rows(_grid, y, ScalarType.Float64);
        Tensor difference = where(valid, p.sub(y), zeros_like(p));
        long[] dims = [0, 2, 3];
        double[] squared = MetricInputs.ToArray((difference * difference * weight).sum(dims));
        double[] absolute = MetricInputs.ToArray((difference.abs() * weight).sum(dims));
        double[] total = MetricInputs.ToArray(weight.sum(dims));
        for (int t = 0; t < _weight.Length; t++)
        {
            _squared[t] += squared[t];
            _absolute[t] += absolute[t];
            _weight[t] += total[t];
        }
    }

    /// <summary>"rmse" and "mae" over all bands, and "rmse_&lt;t&gt;", "mae_&lt;t&gt;" per band when there are several.</summary>
    public IReadOnlyDictionary<string, double> ToDictionary()
    {
        Dictionary<string, double> result = new(StringComparer.Ordinal) { ["rmse"] = Rmse, ["mae"] = Mae };
        if (_weight.Length > 1)
        {
            for (int t = 0; t < _weight.Length; t++)
            {
                result[$"rmse_{t}"] = BandRmse(t);
                result[$"mae_{t}"] = BandMae(t);
            }
        }

        return result;
    }
}

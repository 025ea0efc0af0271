using Disco.Geo.Grids;
using Disco.Geo.Sphere.Packaging;

namespace Disco.Geo.Engine.Prediction;

/// <summary>
/// Accumulates the summary of a prediction band by band, weighting every node by its quadrature area (so the poles of
/// an equiangular grid do not dominate): area per class in km² (on a sphere of the WGS 84 authalic radius) and as a
/// fraction of the valid area for class maps; area-weighted mean, standard deviation, min and max per band otherwise;
/// and, given the input's own labels, area-weighted scores against them.
/// </summary>
internal sealed class PredictionSummaryBuilder
{
    private readonly SphereGrid _grid;
    private readonly IReadOnlyList<ClassInfo> _classes;
    private readonly IReadOnlyList<string> _bandNames;
    private readonly bool _classMap;
    private readonly bool _probabilities;
    private readonly double[] _classArea;
    private readonly double[] _sum;
    private readonly double[] _sumSquares;
    private readonly double[] _min;
    private readonly double[] _max;
    private double _validArea;
    private float[]? _truth;
    private bool _depth;
    private double[,]? _confusion;
    private double _scoredArea;
    private double _squaredError;
    private double _absoluteError;
    private double _relativeError;

    /// <param name="grid">The output grid.</param>
    /// <param name="bandNames">Output band names.</param>
    /// <param name="classes">The model's classes when the output is a class map or class probabilities, else empty.</param>
    /// <param name="probabilities">The bands are class probabilities: areas count each node for its most probable class.</param>
    public PredictionSummaryBuilder(SphereGrid grid, IReadOnlyList<string> bandNames, IReadOnlyList<ClassInfo> classes, bool probabilities)
    {
        _probabilities = probabilities;
        _grid = grid;
        _bandNames = bandNames;
        _classes = classes;
        _classMap = classes.Count > 0;
        _classArea = new double[Math.Max(1, classes.Count)];
        _sum = new double[bandNames.Count];
        _sumSquares = new double[bandNames.Count];
        _min = Enumerable.Repeat(double.PositiveInfinity, bandNames.Count).ToArray();
        _max = Enumerable.Repeat(double.NegativeInfinity, bandNames.Count).ToArray();
    }

    /// <summary>
    /// Scores the prediction against <paramref name="truth"/>: one class-id band for class maps and probabilities
    /// (negative or non-finite ids are unlabelled and skipped), else one band per output band.
    /// </summary>
    /// <param name="truth">Label bands [bands, nlat, nlon] of the whole grid.</param>
    /// <param name="depth">Add the depth metric abs_rel (mean |prediction − truth| / truth over positive truths).</param>
    public void ScoreAgainst(float[] truth, bool depth)
    {
        _truth = truth;
        _depth = depth;
        if (_classMap)
        {
            _confusion = new double[_classArea.Length, _classArea.Length];
        }
    }

    /// <summary>Adds rows [rowStart, rowStart + rowCount): values [bands, rowCount, nlon], mask [rowCount, nlon].</summary>
    public void Add(int rowStart, int rowCount, ReadOnlySpan<float> values, ReadOnlySpan<byte> mask)
    {
        int nlon = _grid.NLon;
        int plane = rowCount * nlon;
        for (int r = 0; r < rowCount; r++)
        {
            double area = _grid.NodeArea(rowStart + r);
            for (int p = 0; p < nlon; p++)
            {
                int k = (r * nlon) + p;
                if (mask[k] == 0)
                {
                    continue;
                }

                _validArea += area;
                if (_classMap)
                {
                    int id = _probabilities ? MostProbable(values, plane, k) : (int)values[k];
                    if ((uint)id < (uint)_classArea.Length)
                    {
                        _classArea[id] += area;
                    }

                    if (_confusion is not null)
                    {
                        float label = _truth![((rowStart + r) * nlon) + p];
                        if (float.IsFinite(label) && label >= 0 && (uint)id < (uint)_classArea.Length && (int)MathF.Round(label) < _classArea.Length)
                        {
                            _confusion[(int)MathF.Round(label), id] += area;
                            _scoredArea += area;
                        }
                    }
                }
                else if (_truth is not null)
                {
                    ScoreValues(values, plane, k, ((rowStart + r) * nlon) + p, area);
                }

                for (int b = 0; b < _bandNames.Count; b++)
                {
                    double v = values[(b * plane) + k];
                    _sum[b] += area * v;
                    _sumSquares[b] += area * v * v;
                    _min[b] = Math.Min(_min[b], v);
                    _max[b] = Math.Max(_max[b], v);
                }
            }
        }
    }

    private void ScoreValues(ReadOnlySpan<float> values, int plane, int k, int node, double area)
    {
        int nodes = (int)_grid.NodeCount;
        for (int b = 0; b < _bandNames.Count; b++)
        {
            float target = _truth![(b * nodes) + node];
            if (!float.IsFinite(target))
            {
                continue;
            }

            double error = values[(b * plane) + k] - target;
            _squaredError += area * error * error;
            _absoluteError += area * Math.Abs(error);
            if (_depth && target > 0)
            {
                _relativeError += area * Math.Abs(error) / target;
            }

            _scoredArea += area;
        }
    }

    private int MostProbable(ReadOnlySpan<float> values, int plane, int k)
    {
        int best = 0;
        for (int b = 1; b < _bandNames.Count; b++)
        {
            if (values[(b * plane) + k] > values[(best * plane) + k])
            {
                best = b;
            }
        }

        return best;
    }

    /// <summary>The summary, with the model run's wall time.</summary>
    public MapSummary Build(double seconds)
    {
        double radius = global::Disco.Geo.Raster.Statistics.EllipsoidArea.AuthalicRadiusKm;
        var classAreas = new List<ClassAreaSummary>();
        if (_classMap)
        {
            for (int c = 0; c < _classes.Count; c++)
            {
                classAreas.Add(new ClassAreaSummary(_classes[c], _classArea[c] * radius * radius, _validArea > 0 ? _classArea[c] / _validArea : 0));
            }
        }

        var statistics = new List<BandSummary>();
        for (int b = 0; b < _bandNames.Count; b++)
        {
            bool any = _validArea > 0;
            double mean = any ? _sum[b] / _validArea : 0;
            double variance = any ? Math.Max(0, (_sumSquares[b] / _validArea) - (mean * mean)) : 0;
            statistics.Add(new BandSummary(_bandNames[b], mean, Math.Sqrt(variance), any ? _min[b] : 0, any ? _max[b] : 0));
        }

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        AddScores(metrics);
        return new MapSummary { ClassAreas = classAreas, Statistics = statistics, Metrics = metrics, Seconds = seconds };
    }

    private void AddScores(Dictionary<string, double> metrics)
    {
        if (_truth is null || _scoredArea <= 0)
        {
            return;
        }

        if (_confusion is null)
        {
            metrics["rmse"] = Math.Sqrt(_squaredError / _scoredArea);
            metrics["mae"] = _absoluteError / _scoredArea;
            if (_depth)
            {
                metrics["abs_rel"] = _relativeError / _scoredArea;
            }

            return;
        }

        int classes = _confusion.GetLength(0);
        double correct = 0;
        double iouSum = 0;
        int present = 0;
        for (int c = 0; c < classes; c++)
        {
            double truePositive = _confusion[c, c];
            double labelled = 0, predicted = 0;
            for (int o = 0; o < classes; o++)
            {
                labelled += _confusion[c, o];
                predicted += _confusion[o, c];
            }

            correct += truePositive;
            double union = labelled + predicted - truePositive;
            if (union <= 0)
            {
                // A class absent from both labels and prediction has no defined IoU; leaving it out keeps mIoU honest.
                continue;
            }

            double iou = truePositive / union;
            metrics["iou_" + (c < _classes.Count ? _classes[c].Name : c.ToString(System.Globalization.CultureInfo.InvariantCulture))] = iou;
            iouSum += iou;
            present++;
        }

        metrics["accuracy"] = correct / _scoredArea;
        if (present > 0)
        {
            metrics["miou"] = iouSum / present;
        }
    }
}

using Disco.Geo.Sphere.Models;

namespace Disco.Geo.Sphere.Data;

/// <summary>
/// Area-weighted statistics of a dataset, accumulated in double precision: every node counts with its quadrature
/// weight (<c>SphereGrid.NodeArea</c>), so a band's mean is its average over the globe, not over the pixels (which on an
/// equiangular grid would over-weight the poles by a factor of ~nlat).
/// </summary>
public static class DatasetStatistics
{
    /// <summary>Per-band area-weighted mean and standard deviation of the inputs over all samples and nodes.</summary>
    /// <exception cref="ArgumentException">The dataset is empty.</exception>
    public static ChannelStatistics Inputs(ISphereDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        RequireSamples(dataset);
        int channels = dataset.InputChannels;
        double[] areas = dataset.Grid.RowAreas();
        Moments[] moments = new Moments[channels];
        for (int s = 0; s < dataset.Count; s++)
        {
            SphereSample sample = dataset.Get(s);
            for (int c = 0; c < channels; c++)
            {
                moments[c].Add(sample.Input.AsSpan(c * Nodes(sample), Nodes(sample)), null, areas, sample.NLon, log: false);
            }
        }

        return ToStatistics(moments, "input");
    }

    /// <summary>
    /// Per-band area-weighted mean and standard deviation of the targets over valid nodes: of the values for regression,
    /// of log depth for depth.
    /// </summary>
    /// <exception cref="ArgumentException">The dataset is empty, has no value targets, or a band has no valid node.</exception>
    public static ChannelStatistics Targets(ISphereDataset dataset, ModelTask task)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        RequireSamples(dataset);
        if (task == ModelTask.Segmentation)
        {
            throw new ArgumentException("Segmentation targets are class ids; they have no mean and std.", nameof(task));
        }

        SphereSample first = dataset.Get(0);
        if (first.Values is null)
        {
            throw new ArgumentException($"The dataset has no value targets; a {task.ToName()} model needs them.", nameof(dataset));
        }

        double[] areas = dataset.Grid.RowAreas();
        Moments[] moments = new Moments[first.TargetChannels];
        for (int s = 0; s < dataset.Count; s++)
        {
            SphereSample sample = dataset.Get(s);
            if (sample.Values is null || sample.TargetChannels != moments.Length)
            {
                throw new ArgumentException($"Sample {s} does not have {moments.Length} target bands like sample 0.", nameof(dataset));
            }

            for (int c = 0; c < moments.Length; c++)
            {
                moments[c].Add(sample.Values.AsSpan(c * Nodes(sample), Nodes(sample)), sample.Mask, areas, sample.NLon, log: task == ModelTask.Depth);
            }
        }

        return ToStatistics(moments, task == ModelTask.Depth ? "log-depth target" : "target");
    }

    /// <summary>
    /// The area fraction of each class over valid nodes of all samples (summing to 1), e.g. to derive class weights.
    /// </summary>
    /// <exception cref="ArgumentException">The dataset has no class maps, or a class id is out of range.</exception>
    public static double[] ClassAreaFractions(ISphereDataset dataset, int classes)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        RequireSamples(dataset);
        if (classes < 1)
        {
            throw new ArgumentException($"classes = {classes} must be at least 1.", nameof(classes));
        }

        double[] areas = dataset.Grid.RowAreas();
        double[] totals = new double[classes];
        for (int s = 0; s < dataset.Count; s++)
        {
            SphereSample sample = dataset.Get(s);
            int[] labels = sample.Classes ?? throw new ArgumentException($"Sample {s} has no class map.", nameof(dataset));
            for (int n = 0; n < labels.Length; n++)
            {
                int label = labels[n];
                if (label < 0 || (sample.Mask is not null && sample.Mask[n] == 0))
                {
                    continue;
                }

                if (label >= classes)
                {
                    throw new ArgumentException($"Sample {s} has class id {label} at node {n}, but there are only {classes} classes (0..{classes - 1}).", nameof(dataset));
                }

                totals[label] += areas[n / sample.NLon];
            }
        }

        double sum = totals.Sum();
        return sum > 0 ? totals.Select(t => t / sum).ToArray() : totals;
    }

    private static int Nodes(SphereSample sample) => sample.NLat * sample.NLon;

    private static void RequireSamples(ISphereDataset dataset)
    {
        if (dataset.Count < 1)
        {
            throw new ArgumentException("The dataset is empty: statistics need at least one sample.", nameof(dataset));
        }
    }

    private static ChannelStatistics ToStatistics(Moments[] moments, string what)
    {
        double[] mean = new double[moments.Length];
        double[] std = new double[moments.Length];
        for (int c = 0; c < moments.Length; c++)
        {
            if (!(moments[c].Weight > 0))
            {
                throw new ArgumentException($"The {what} band {c} has no valid node in the whole dataset; check the masks and values.");
            }

            mean[c] = moments[c].Mean;

            // A constant band carries no information; std 1 just centres it instead of dividing by zero.
            double sd = moments[c].Std;
            std[c] = sd > 1e-6 * Math.Max(1.0, Math.Abs(mean[c])) ? sd : 1.0;
        }

        return new ChannelStatistics(mean, std);
    }

    /// <summary>Weighted running mean and variance (West's algorithm), stable for large offsets such as elevations in metres.</summary>
    private struct Moments
    {
        public double Weight;
        public double Mean;
        private double _m2;

        public readonly double Std => Weight > 0 ? Math.Sqrt(Math.Max(_m2 / Weight, 0)) : 0;

        public void Add(ReadOnlySpan<float> band, byte[]? mask, double[] rowAreas, int nlon, bool log)
        {
            for (int n = 0; n < band.Length; n++)
            {
                double value = band[n];
                if ((mask is not null && mask[n] == 0) || !double.IsFinite(value) || (log && !(value > 0)))
                {
                    continue;
                }

                if (log)
                {
                    value = Math.Log(value);
                }

                double w = rowAreas[n / nlon];
                Weight += w;
                double delta = value - Mean;
                Mean += w / Weight * delta;
                _m2 += w * delta * (value - Mean);
            }
        }
    }
}

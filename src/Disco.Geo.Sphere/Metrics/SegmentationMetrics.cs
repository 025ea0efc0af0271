using Disco.Geo.Grids;
using Disco.Geo.Sphere.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Metrics;

/// <summary>
/// Accumulates an area-weighted confusion matrix over batches: entry (true t, predicted p) is the total area (sr) of
/// valid nodes labelled t and predicted p. Accuracy, per-class IoU and mIoU are then fractions of area on the sphere,
/// so a wrong polar row of an equiangular grid costs its tiny area, not 1/nlat of the score.
/// </summary>
public sealed class SegmentationMetrics
{
    private readonly SphereGrid _grid;
    private readonly double[] _confusion;

    /// <summary>Creates an empty accumulator for <paramref name="classes"/> classes on <paramref name="grid"/>.</summary>
    public SegmentationMetrics(int classes, SphereGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (classes < 2)
        {
            throw new ArgumentException($"classes = {classes}: segmentation needs at least 2 classes.", nameof(classes));
        }

        Classes = classes;
        _grid = grid;
        _confusion = new double[classes * classes];
    }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Area (sr) of valid nodes labelled <paramref name="truth"/> and predicted <paramref name="predicted"/>, summed over updates.</summary>
    public double this[int truth, int predicted] => _confusion[truth * Classes + predicted];

    /// <summary>Total valid area seen.</summary>
    public double TotalArea => _confusion.Sum();

    /// <summary>Correctly classified area / valid area.</summary>
    public double Accuracy => TotalArea > 0 ? Enumerable.Range(0, Classes).Sum(c => this[c, c]) / TotalArea : double.NaN;

    /// <summary>
    /// Mean IoU over the classes present (in the labels or the predictions); classes never seen are left out rather
    /// than counted as 0 or 1.
    /// </summary>
    public double MeanIoU
    {
        get
        {
            double[] ious = Enumerable.Range(0, Classes).Select(IoU).Where(double.IsFinite).ToArray();
            return ious.Length > 0 ? ious.Average() : double.NaN;
        }
    }

    /// <summary>Intersection over union of class <paramref name="c"/>: TP / (TP + FP + FN); NaN when the class never occurs.</summary>
    public double IoU(int c)
    {
        double truePositive = this[c, c];
        double labelled = Enumerable.Range(0, Classes).Sum(p => this[c, p]);
        double predicted = Enumerable.Range(0, Classes).Sum(t => this[t, c]);
        double union = labelled + predicted - truePositive;
        return union > 0 ? truePositive / union : double.NaN;
    }

    /// <summary>
    /// Adds a batch: predicted class ids or logits/probabilities [B, C, H, W] (the argmax is taken), true class ids
    /// [B, H, W] (int64, negative = ignore), and an optional validity mask [B, H, W].
    /// </summary>
    /// <exception cref="ArgumentException">Shapes disagree or a class id is out of range.</exception>
    public void Update(Tensor prediction, Tensor truth, Tensor? mask = null)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(truth);
        AreaWeights.CheckGrid(truth, _grid, nameof(truth));
        using DisposeScope scope = NewDisposeScope();
        Tensor predictedClass = prediction.dim() == 4 ? prediction.argmax(1) : prediction.to(ScalarType.Int64);
        if (!predictedClass.shape.SequenceEqual(truth.shape) || truth.dim() != 3)
        {
            throw new ArgumentException(
                $"Predictions [{string.Join(", ", prediction.shape)}] and labels [{string.Join(", ", truth.shape)}] do not match: give [B, C, H, W] or [B, H, W] predictions and [B, H, W] labels.",
                nameof(prediction));
        }

        Tensor labels = truth.to(ScalarType.Int64);
        if (labels.numel() > 0 && (labels.max().item<long>() >= Classes || predictedClass.max().item<long>() >= Classes || predictedClass.min().item<long>() < 0))
        {
            throw new ArgumentException($"A class id is out of range for {Classes} classes (0..{Classes - 1}).", nameof(truth));
        }

        Tensor valid = labels.ge(Runtime.Scalars.Zero);
        if (mask is not null)
        {
            if (!mask.shape.SequenceEqual(truth.shape))
            {
                throw new ArgumentException($"The mask must be [{string.Join(", ", truth.shape)}], got [{string.Join(", ", mask.shape)}].", nameof(mask));
            }

            valid = valid.logical_and(mask.ne(Runtime.Scalars.Zero));
        }

        Tensor weight = valid.to(ScalarType.Float64) * AreaWeights.Rows(_grid, labels, ScalarType.Float64);
        using Scalar classes = ((long)Classes).ToScalar();
        Tensor index = labels.clamp_min(Runtime.Scalars.ZeroInt64).mul(classes).add(predictedClass, Runtime.Scalars.OneInt64);
        Tensor counts = bincount(index.flatten(), weight.flatten(), Classes * Classes).to(ScalarType.Float64, CPU);
        double[] values = counts.data<double>().ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            _confusion[i] += values[i];
        }
    }

    /// <summary>"accuracy", "miou" and "iou_&lt;c&gt;" for every class that occurred.</summary>
    public IReadOnlyDictionary<string, double> ToDictionary()
    {
        Dictionary<string, double> result = new(StringComparer.Ordinal)
        {
            ["accuracy"] = Accuracy,
            ["miou"] = MeanIoU,
        };
        for (int c = 0; c < Classes; c++)
        {
            double iou = IoU(c);
            if (double.IsFinite(iou))
            {
                result[$"iou_{c}"] = iou;
            }
        }

        return result;
    }
}

using Disco.Geo.Sphere.Models;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Metrics;

/// <summary>The metrics of a model's task, fed with the model's physical outputs.</summary>
internal sealed class TaskMetrics
{
    private readonly SegmentationMetrics? _segmentation;
    private readonly RegressionMetrics? _regression;
    private readonly DepthMetrics? _depth;

    public TaskMetrics(ModelConfig config)
    {
        Models.GridSpec grid = config.Grid;
        switch (config.Task)
        {
            case ModelTask.Segmentation:
                _segmentation = new SegmentationMetrics(config.OutputChannels, grid.ToGrid());
                break;
            case ModelTask.Regression:
                _regression = new RegressionMetrics(config.OutputChannels, grid.ToGrid());
                break;
            default:
                _depth = new DepthMetrics(grid.ToGrid());
                break;
        }
    }

    /// <summary>The default metric that picks the best model: mIoU, RMSE or AbsRel.</summary>
    public static string DefaultMetric(ModelTask task) => task switch
    {
        ModelTask.Segmentation => "miou",
        ModelTask.Regression => "rmse",
        _ => "abs_rel",
    };

    /// <summary>True when the task reports <paramref name="metric"/> (validation also reports "loss").</summary>
    public static bool IsReported(string metric, ModelConfig config)
    {
        static bool Indexed(string metric, string prefix, int count) =>
            metric.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(metric.AsSpan(prefix.Length), out int i) && i >= 0 && i < count;

        return metric == "loss" || config.Task switch
        {
            ModelTask.Segmentation => metric is "accuracy" or "miou" || Indexed(metric, "iou_", config.OutputChannels),
            ModelTask.Regression => metric is "rmse" or "mae" || (config.OutputChannels > 1 && (Indexed(metric, "rmse_", config.OutputChannels) || Indexed(metric, "mae_", config.OutputChannels))),
            _ => metric is "abs_rel" or "rmse" or "mae" or "delta1" or "delta2" or "delta3",
        };
    }

    /// <summary>True when larger values of the metric are better.</summary>
    public static bool HigherIsBetter(string metric) =>
        metric is "accuracy" or "miou" or "delta1" or "delta2" or "delta3" || metric.StartsWith("iou_", StringComparison.Ordinal);

    /// <summary>Adds a batch: physical outputs (probabilities, values or depth) against the batch's targets.</summary>
    public void Update(Tensor physical, Tensor? classes, Tensor? values, Tensor mask)
    {
        if (_segmentation is not null)
        {
            _segmentation.Update(physical, classes!, mask);
        }
        else if (_regression is not null)
        {
            _regression.Update(physical, values!, mask);
        }
        else
        {
            _depth!.Update(physical, values!, mask);
        }
    }

    public Dictionary<string, double> ToDictionary() =>
        new(_segmentation?.ToDictionary() ?? _regression?.ToDictionary() ?? _depth!.ToDictionary(), StringComparer.Ordinal);
}

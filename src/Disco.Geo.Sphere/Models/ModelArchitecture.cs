namespace Disco.Geo.Sphere.Models;

/// <summary>The network family a <see cref="ModelConfig"/> builds.</summary>
public enum ModelArchitecture
{
    /// <summary>The residual DISCO U-Net: DISCO convolutions on a pyramid of sphere grids ("disco-unet").</summary>
    DiscoUnet,

    /// <summary>
    /// The planar baseline: the same U-Net built from <c>Conv2d</c> on the equirectangular image, circular in longitude
    /// and replicate-padded at the poles ("planar-unet").
    /// </summary>
    PlanarUnet,
}

/// <summary>What a model predicts at every node; fixes its head, its loss and its metrics.</summary>
public enum ModelTask
{
    /// <summary>Class logits per node; trained with area-weighted cross-entropy; metrics accuracy, IoU, mIoU.</summary>
    Segmentation,

    /// <summary>One or more continuous values per node; trained with masked L1, L2 or Huber; metrics RMSE and MAE.</summary>
    Regression,

    /// <summary>Positive depth per node, predicted in log space; trained with the scale-invariant log loss; depth metrics.</summary>
    Depth,
}

/// <summary>Names of architectures and tasks as used in configuration files, model cards and the API.</summary>
public static class ModelNames
{
    /// <summary>"disco-unet" or "planar-unet".</summary>
    public static string ToName(this ModelArchitecture architecture) => architecture switch
    {
        ModelArchitecture.DiscoUnet => "disco-unet",
        ModelArchitecture.PlanarUnet => "planar-unet",
        _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "Unknown architecture."),
    };

    /// <summary>"segmentation", "regression" or "depth".</summary>
    public static string ToName(this ModelTask task) => task switch
    {
        ModelTask.Segmentation => "segmentation",
        ModelTask.Regression => "regression",
        ModelTask.Depth => "depth",
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "Unknown task."),
    };
}

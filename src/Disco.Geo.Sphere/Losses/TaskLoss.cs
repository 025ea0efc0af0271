using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Losses;

/// <summary>The loss of a model's task on a batch, from the model's raw outputs.</summary>
internal static class TaskLoss
{
    public static Tensor Compute(SphereModel model, Tensor raw, SphereBatch batch, LossOptions options)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor loss = model.Config.Task switch
        {
            ModelTask.Segmentation => SphereLosses.CrossEntropy(raw, batch.Classes!, model.Grid, batch.Mask, options.ClassWeights),
            ModelTask.Regression => Regression(raw, model.Standardize(batch.Values!), model, batch.Mask, options),
            ModelTask.Depth => SphereLosses.ScaleInvariantLog(model.Decode(raw), batch.Values!, model.Grid, batch.Mask, options.ScaleInvariantLambda),
            _ => throw new InvalidOperationException($"Unknown task {model.Config.Task}."),
        };
        return loss.MoveToOuterDisposeScope();
    }

    private static Tensor Regression(Tensor raw, Tensor target, SphereModel model, Tensor mask, LossOptions options) => options.Regression switch
    {
        RegressionLoss.L1 => SphereLosses.L1(raw, target, model.Grid, mask),
        RegressionLoss.L2 => SphereLosses.L2(raw, target, model.Grid, mask),
        _ => SphereLosses.Huber(raw, target, model.Grid, mask, options.HuberDelta),
    };
}

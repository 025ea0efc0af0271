using Disco.Geo.Sphere.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Data;

/// <summary>
/// Samples stacked into tensors on a device, checked against the model they feed: input [B, C, H, W] float32;
/// for segmentation class ids [B, H, W] int64; for regression and depth values [B, T, H, W] float32; and the
/// validity mask [B, H, W] float32 (1 valid, 0 left out). Invalid nodes get a harmless placeholder target (class 0,
/// value 0, depth 1) so that no NaN can reach a loss through 0 · NaN. Optional per-sample rotations move input
/// (bilinear), target and mask (nearest) together.
/// </summary>
internal sealed class SphereBatch : IDisposable
{
    private SphereBatch(Tensor input, Tensor? classes, Tensor? values, Tensor mask)
    {
        Input = input;
        Classes = classes;
        Values = values;
        Mask = mask;
    }

    public Tensor Input { get; }

    public Tensor? Classes { get; }

    public Tensor? Values { get; }

    public Tensor Mask { get; }

    public long Count => Input.shape[0];

    /// <summary>Stacks samples with their targets for training or evaluation.</summary>
    /// <param name="samples">The samples.</param>
    /// <param name="sampleIds">Dataset indices of the samples, for error messages.</param>
    /// <param name="config">The model they feed.</param>
    /// <param name="device">Where to put the tensors.</param>
    /// <param name="rotations">One rotation (or null) per sample, or null for none.</param>
    public static SphereBatch Create(
        IReadOnlyList<SphereSample> samples, IReadOnlyList<int> sampleIds, ModelConfig config, Device device, IReadOnlyList<GridRotation?>? rotations = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(config);
        if (samples.Count == 0)
        {
            throw new ArgumentException("A batch needs at least one sample.", nameof(samples));
        }

        List<Tensor> inputs = [], targets = [], masks = [];
        using (DisposeScope scope = NewDisposeScope())
        {
            for (int b = 0; b < samples.Count; b++)
            {
                SphereSample sample = samples[b];
                int id = sampleIds[b];
                CheckInput(sample, id, config);
                (Tensor target, Tensor mask) = Targets(sample, id, config);
                Tensor input = tensor(sample.Input, [sample.InputChannels, sample.NLat, sample.NLon]);
                if (rotations?[b] is GridRotation rotation)
                {
                    input = rotation.Interpolate(input);
                    target = rotation.Nearest(target);
                    mask = rotation.Nearest(mask);
                }

                inputs.Add(input);
                targets.Add(target);
                masks.Add(mask);
            }

            Tensor stackedInput = stack(inputs).to(device);
            Tensor stackedTarget = stack(targets).to(device);
            Tensor stackedMask = stack(masks).to(device);
            stackedInput.MoveToOuterDisposeScope();
            stackedTarget.MoveToOuterDisposeScope();
            stackedMask.MoveToOuterDisposeScope();
            return config.Task == ModelTask.Segmentation
                ? new SphereBatch(stackedInput, stackedTarget, null, stackedMask)
                : new SphereBatch(stackedInput, null, stackedTarget, stackedMask);
        }
    }

    /// <summary>Stacks inputs only, for inference.</summary>
    public static Tensor Inputs(IReadOnlyList<SphereSample> samples, ModelConfig config, Device device)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
        {
            throw new ArgumentException("A batch needs at least one sample.", nameof(samples));
        }

        using DisposeScope scope = NewDisposeScope();
        List<Tensor> inputs = [];
        for (int b = 0; b < samples.Count; b++)
        {
            CheckInput(samples[b], b, config);
            inputs.Add(tensor(samples[b].Input, [samples[b].InputChannels, samples[b].NLat, samples[b].NLon]));
        }

        return stack(inputs).to(device).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Input.Dispose();
        Classes?.Dispose();
        Values?.Dispose();
        Mask.Dispose();
    }

    private static void CheckInput(SphereSample sample, int id, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (sample.NLat != config.Grid.NLat || sample.NLon != config.Grid.NLon)
        {
            throw new ArgumentException(
                $"Sample {id} is {sample.NLat}x{sample.NLon} but the model runs on {config.Grid}: resample the data onto the model's grid.");
        }

        if (sample.InputChannels != config.InputChannels)
        {
            throw new ArgumentException(
                $"Sample {id} has {sample.InputChannels} input bands but the model takes {config.InputChannels}: select the bands the model was configured for.");
        }
    }

    private static (Tensor Target, Tensor Mask) Targets(SphereSample sample, int id, ModelConfig config)
    {
        int nodes = sample.NLat * sample.NLon;
        float[] mask = new float[nodes];
        for (int n = 0; n < nodes; n++)
        {
            mask[n] = sample.Mask is null || sample.Mask[n] != 0 ? 1f : 0f;
        }

        if (config.Task == ModelTask.Segmentation)
        {
            int[] labels = sample.Classes ?? throw new ArgumentException(
                $"Sample {id} has no class map, but a segmentation model is trained on class ids per node.");
            long[] classes = new long[nodes];
            for (int n = 0; n < nodes; n++)
            {
                int label = labels[n];
                if (label >= config.OutputChannels)
                {
                    throw new ArgumentException(
                        $"Sample {id} has class id {label} at row {n / sample.NLon}, column {n % sample.NLon}, but the model has {config.OutputChannels} classes (0..{config.OutputChannels - 1}). Use a negative id or the mask for unlabelled nodes, or configure more classes.");
                }

                if (label < 0 || mask[n] == 0)
                {
                    mask[n] = 0;
                    continue;
                }

                classes[n] = label;
            }

            return (tensor(classes, [sample.NLat, sample.NLon]), tensor(mask, [sample.NLat, sample.NLon]));
        }

        float[] source = sample.Values ?? throw new ArgumentException(
            $"Sample {id} has no target values, but a {config.Task.ToName()} model is trained on values per node.");
        if (sample.TargetChannels != config.OutputChannels)
        {
            throw new ArgumentException(
                $"Sample {id} has {sample.TargetChannels} target bands but the model predicts {config.OutputChannels}.");
        }

        bool depth = config.Task == ModelTask.Depth;
        float placeholder = depth ? 1f : 0f;
        for (int c = 0; c < sample.TargetChannels; c++)
        {
            for (int n = 0; n < nodes; n++)
            {
                float v = source[c * nodes + n];
                if (!float.IsFinite(v) || (depth && !(v > 0)))
                {
                    mask[n] = 0;
                }
            }
        }

        float[] values = new float[source.Length];
        for (int c = 0; c < sample.TargetChannels; c++)
        {
            for (int n = 0; n < nodes; n++)
            {
                values[c * nodes + n] = mask[n] != 0 ? source[c * nodes + n] : placeholder;
            }
        }

        return (tensor(values, [sample.TargetChannels, sample.NLat, sample.NLon]), tensor(mask, [sample.NLat, sample.NLon]));
    }
}

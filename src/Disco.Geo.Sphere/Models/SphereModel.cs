using Disco.Geo.Grids;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Models;

/// <summary>
/// A dense-prediction network on a sphere grid: [B, InputChannels, NLat, NLon] in physical input units →
/// [B, OutputChannels, NLat, NLon] raw outputs. It carries its configuration and, as persistent buffers saved with its
/// weights, the input statistics it normalises with and (regression, depth) the target statistics its outputs are
/// expressed in. Build one with <see cref="SphereModelFactory.Create"/>. Every computation takes its device and dtype
/// from the module's parameters; move the model with <c>to(device)</c>.
/// </summary>
/// <remarks>
/// Raw outputs are: class logits (segmentation); standardised values, (y − mean) / std (regression); standardised log
/// depth, (log d − mean) / std (depth). <see cref="Decode"/> undoes the standardisation and <see cref="ToPhysical"/>
/// gives what users see: class probabilities, values in the target's units, or depth.
/// </remarks>
public abstract class SphereModel : nn.Module<Tensor, Tensor>
{
    // Fields carry their state-dict names: the derived class's RegisterComponents registers them (base-class fields
    // included), and TorchSharp's to(device | dtype) replaces owned tensors and re-binds the field of the same name.
#pragma warning disable IDE1006
    private readonly Tensor input_mean;
    private readonly Tensor input_std;
    private readonly Tensor target_mean;
    private readonly Tensor target_std;
#pragma warning restore IDE1006

    private protected SphereModel(string name, ModelConfig config)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Grid = config.Grid.ToGrid();
        input_mean = zeros(config.InputChannels);
        input_std = ones(config.InputChannels);
        target_mean = zeros(config.OutputChannels);
        target_std = ones(config.OutputChannels);
    }

    /// <summary>The configuration the model was built from.</summary>
    public ModelConfig Config { get; }

    /// <summary>The grid inputs and outputs live on.</summary>
    public SphereGrid Grid { get; }

    /// <summary>Number of learned scalars.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>The device the parameters live on.</summary>
    public Device Device => parameters().First().device;

    /// <summary>Input statistics applied before the first layer, (x − mean) / std.</summary>
    public ChannelStatistics InputStatistics
    {
        get => ReadStatistics(input_mean, input_std);
        set => WriteStatistics(value, input_mean, input_std, "input");
    }

    /// <summary>
    /// Target statistics the raw outputs are expressed in (regression: of the values; depth: of log depth). Ignored for
    /// segmentation.
    /// </summary>
    public ChannelStatistics TargetStatistics
    {
        get => ReadStatistics(target_mean, target_std);
        set
        {
            if (Config.Task == ModelTask.Segmentation)
            {
                throw new InvalidOperationException("Target statistics apply to regression and depth models; a segmentation model outputs logits.");
            }

            WriteStatistics(value, target_mean, target_std, "target");
        }
    }

    /// <summary>Input [B, InputChannels, NLat, NLon] (physical units) → raw outputs [B, OutputChannels, NLat, NLon].</summary>
    /// <exception cref="ArgumentException">Wrong rank, shape, dtype or device; the message says what to change.</exception>
    public sealed override Tensor forward(Tensor x)
    {
        ValidateInput(x);
        using DisposeScope scope = NewDisposeScope();
        Tensor normalised = x.sub(input_mean.to(x.dtype).view(1, -1, 1, 1)) / input_std.to(x.dtype).view(1, -1, 1, 1);
        return ForwardNormalized(normalised).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Raw outputs → task units before any squashing: logits (segmentation), values (regression), log depth (depth).
    /// </summary>
    public Tensor Decode(Tensor raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        if (Config.Task == ModelTask.Segmentation)
        {
            return raw.alias();
        }

        using DisposeScope scope = NewDisposeScope();
        Tensor decoded = (raw * target_std.to(raw.dtype).view(1, -1, 1, 1)).add(target_mean.to(raw.dtype).view(1, -1, 1, 1), Runtime.Scalars.One);
        return decoded.MoveToOuterDisposeScope();
    }

    private static readonly Scalar MinLogDepth = Runtime.Scalars.Constant(-30);
    private static readonly Scalar MaxLogDepth = Runtime.Scalars.Constant(30);

    /// <summary>Raw outputs → class probabilities (softmax over channels), values in target units, or depth (exp of log depth).</summary>
    public Tensor ToPhysical(Tensor raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        using DisposeScope scope = NewDisposeScope();
        Tensor result = Config.Task switch
        {
            ModelTask.Segmentation => nn.functional.softmax(raw, 1),
            ModelTask.Regression => Decode(raw),

            // Clamped so that an untrained or diverging model cannot overflow to infinity.
            ModelTask.Depth => Decode(raw).clamp(MinLogDepth, MaxLogDepth).exp(),
            _ => throw new InvalidOperationException($"Unknown task {Config.Task}."),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Targets in task units (values, or log depth) → the standardised space of the raw outputs.</summary>
    internal Tensor Standardize(Tensor decoded)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor result = decoded.sub(target_mean.to(decoded.dtype).view(1, -1, 1, 1)) / target_std.to(decoded.dtype).view(1, -1, 1, 1);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The network proper, on normalised inputs.</summary>
    private protected abstract Tensor ForwardNormalized(Tensor x);

    private void ValidateInput(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        long[] expected = [Config.InputChannels, Grid.NLat, Grid.NLon];
        if (x.dim() != 4 || x.shape[1] != expected[0] || x.shape[2] != expected[1] || x.shape[3] != expected[2])
        {
            throw new ArgumentException(
                $"The model expects input [batch, {Config.InputChannels}, {Grid.NLat}, {Grid.NLon}] ({Config.InputChannels} bands on {Grid}), got [{string.Join(", ", x.shape)}].",
                nameof(x));
        }

        if (x.shape[0] < 1)
        {
            throw new ArgumentException("The batch is empty: give at least one sample.", nameof(x));
        }

        Tensor reference = input_mean;
        if (x.dtype != ScalarType.Float32 && x.dtype != ScalarType.Float64)
        {
            throw new ArgumentException($"The model computes in floating point, got {x.dtype}: convert the input with .to(float32).", nameof(x));
        }

        if (x.dtype != parameters().First().dtype)
        {
            throw new ArgumentException(
                $"The model has {parameters().First().dtype} weights but got a {x.dtype} input: convert one of them.", nameof(x));
        }

        if (x.device_type != reference.device_type || x.device_index != reference.device_index)
        {
            throw new ArgumentException(
                $"The model lives on {reference.device} but the input is on {x.device}: move one of them (model.to(device) or x.to(device)).", nameof(x));
        }
    }

    private static ChannelStatistics ReadStatistics(Tensor mean, Tensor std)
    {
        using Tensor m = mean.to(ScalarType.Float64, CPU);
        using Tensor s = std.to(ScalarType.Float64, CPU);
        return new ChannelStatistics(m.data<double>().ToArray(), s.data<double>().ToArray());
    }

    private static void WriteStatistics(ChannelStatistics value, Tensor mean, Tensor std, string what)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Count != mean.shape[0])
        {
            throw new ArgumentException(
                $"The {what} statistics have {value.Count} channels but the model has {mean.shape[0]}.", nameof(value));
        }

        using (no_grad())
        {
            using Tensor m = tensor(value.Mean.ToArray(), ScalarType.Float64);
            using Tensor s = tensor(value.Std.ToArray(), ScalarType.Float64);
            mean.copy_(m);
            std.copy_(s);
        }
    }
}

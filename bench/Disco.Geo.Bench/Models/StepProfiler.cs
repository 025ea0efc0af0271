using System.Diagnostics;
using Disco.Geo.Grids;
using Disco.Geo.Sphere.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Bench.Models;

/// <summary>
/// Wall-clock time per named part of a training step, forward and backward apart. Forward time is measured around
/// the part's forward call; backward time between two identity autograd nodes placed on the part's output (its
/// backward runs when the gradient reaches the part) and on its input (runs when the part has produced its input
/// gradient). libtorch's CPU autograd engine runs nodes one at a time in decreasing creation order, so everything
/// between the two marks belongs to the part.
/// </summary>
internal sealed class StepProfiler
{
    private readonly Dictionary<string, Part> _parts = new(StringComparer.Ordinal);

    public bool Enabled { get; set; }

    public bool Marks { get; set; } = Environment.GetEnvironmentVariable("PROFILE_MARKS") != "0";

    public IReadOnlyDictionary<string, Part> Parts => _parts;

    public void Reset()
    {
        foreach (Part part in _parts.Values)
        {
            part.ForwardTicks = part.BackwardTicks = part.Calls = 0;
        }
    }

    public Part For(string name)
    {
        if (!_parts.TryGetValue(name, out Part? part))
        {
            part = new Part(name);
            _parts[name] = part;
        }

        return part;
    }

    /// <summary>Runs <paramref name="forward"/> on <paramref name="x"/> and books its forward and backward time to <paramref name="name"/>.</summary>
    public Tensor Measure(string name, Tensor x, Func<Tensor, Tensor> forward)
    {
        if (!Enabled)
        {
            return forward(x);
        }

        Part part = For(name);
        part.Calls++;
        bool tracked = Marks && is_grad_enabled() && x.requires_grad;
        if (!tracked)
        {
            long t0 = Stopwatch.GetTimestamp();
            Tensor plain = forward(x);
            part.ForwardTicks += Stopwatch.GetTimestamp() - t0;
            return plain;
        }

        using DisposeScope scope = NewDisposeScope();
        Span span = new();
        Tensor input = BackwardMark.apply(x, (Action)(() => part.BackwardTicks += Stopwatch.GetTimestamp() - span.Start));
        long start = Stopwatch.GetTimestamp();
        Tensor y = forward(input);
        part.ForwardTicks += Stopwatch.GetTimestamp() - start;
        return BackwardMark.apply(y, (Action)(() => span.Start = Stopwatch.GetTimestamp())).MoveToOuterDisposeScope();
    }

    internal sealed class Part(string name)
    {
        public string Name { get; } = name;

        public long ForwardTicks { get; set; }

        public long BackwardTicks { get; set; }

        public long Calls { get; set; }
    }

    private sealed class Span
    {
        public long Start { get; set; }
    }
}

/// <summary>An identity whose backward calls an action: a timestamp in the backward pass.</summary>
internal sealed class BackwardMark : autograd.SingleTensorFunction<BackwardMark>
{
    private const string ActionKey = "action";

    public override string Name => "BackwardMark";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        ctx.save_data(ActionKey, vars[1]);
        return ((Tensor)vars[0]).alias();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        ((Action)ctx.get_data(ActionKey))();
        return [grad_output.alias(), null!];
    }
}

/// <summary>
/// A module whose forward and backward are booked to a part of the <see cref="StepProfiler"/>; a wrapped norm keeps
/// its fused GELU (booked with it), so the profile runs the same code as training.
/// </summary>
internal sealed class ProfiledModule : nn.Module<Tensor, Tensor>, INormThenGelu
{
#pragma warning disable IDE1006 // Registered by field name.
    private readonly nn.Module<Tensor, Tensor> inner;
#pragma warning restore IDE1006
    private readonly StepProfiler _profiler;
    private readonly string _part;

    public ProfiledModule(nn.Module<Tensor, Tensor> inner, StepProfiler profiler, string part)
        : base(inner.GetName())
    {
        this.inner = inner;
        _profiler = profiler;
        _part = part;
        RegisterComponents();
    }

    public nn.Module<Tensor, Tensor> Inner => inner;

    public override Tensor forward(Tensor x) => _profiler.Measure(_part, x, inner.forward);

    public Tensor ForwardGelu(Tensor x) => _profiler.Measure(_part, x, t => Activation.NormThenGelu(inner, t));
}

/// <summary>The DISCO U-Net's layers, each wrapped so the profiler books it to its kind and level.</summary>
internal sealed class ProfiledLayers(IUNetLayers inner, StepProfiler profiler) : IUNetLayers
{
    public int WeightsPerConnection => inner.WeightsPerConnection;

    public nn.Module<Tensor, Tensor> Conv(string name, int level, int inChannels, int outChannels) =>
        new ProfiledModule(inner.Conv(name, level, inChannels, outChannels), profiler, name == "stem" ? "DISCO conv, stem" : $"DISCO conv, level {level}");

    public nn.Module<Tensor, Tensor> Down(string name, int level, int inChannels, int outChannels) =>
        new ProfiledModule(inner.Down(name, level, inChannels, outChannels), profiler, $"DISCO down {level}→{level + 1}");

    public nn.Module<Tensor, Tensor> Up(string name, int level, int inChannels, int outChannels) =>
        new ProfiledModule(inner.Up(name, level, inChannels, outChannels), profiler, $"DISCO up (transpose) {level + 1}→{level}");

    public nn.Module<Tensor, Tensor> Norm(string name, int level, int channels) =>
        new ProfiledModule(inner.Norm(name, level, channels), profiler, $"group norm + GELU, level {level}");

    public nn.Module<Tensor, Tensor> Pointwise(string name, int level, int inChannels, int outChannels) =>
        new ProfiledModule(inner.Pointwise(name, level, inChannels, outChannels), profiler, $"1×1 conv (merge, head), level {level}");

    public static SphereUNet Build(ModelConfig config, StepProfiler profiler) =>
        new(config, (c, grids) => new ProfiledLayers(new DiscoLayers(c, grids), profiler));

    public static IReadOnlyList<SphereGrid> Grids(ModelConfig config) => config.LevelGrids();
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Models;

/// <summary>
/// A 1×1 convolution (the U-Net's skip merges and head) as one matrix product per sample, weight [Cout, Cin] ×
/// x [Cin, H·W], plus the bias. Same parameters, shapes and state-dict names as <c>nn.Conv2d(Cin, Cout, 1)</c>, so
/// saved models load unchanged; libtorch's Conv2d takes its convolution path even for 1×1 kernels, whose backward
/// was among the largest unclaimed parts of the U-Net's training step. On CPU float tensors it runs on the CPU mixing
/// kernels (<see cref="PointwiseConvFunction"/>).
/// </summary>
internal sealed class PointwiseConv : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // Registered by field name: "weight" and "bias", as in Conv2d.
    private readonly Parameter weight;
    private readonly Parameter bias;
#pragma warning restore IDE1006
    private readonly long _inChannels;
    private readonly long _outChannels;

    public PointwiseConv(string name, int inChannels, int outChannels)
        : base(name)
    {
        _inChannels = inChannels;
        _outChannels = outChannels;

        // Conv2d's own initialisation (uniform ±1/√fan_in); SphereModelFactory replaces it by the seeded one anyway.
        double bound = 1.0 / Math.Sqrt(inChannels);
        weight = new Parameter(empty(outChannels, inChannels, 1, 1).uniform_(-bound, bound));
        bias = new Parameter(empty(outChannels).uniform_(-bound, bound));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        using DisposeScope scope = NewDisposeScope();
        if (PointwiseConvFunction.Supports(x, weight))
        {
            return PointwiseConvFunction.apply(x, weight.view(_outChannels, _inChannels), bias).MoveToOuterDisposeScope();
        }

        long batch = x.shape[0], height = x.shape[2], width = x.shape[3];
        Tensor y = matmul(weight.view(_outChannels, _inChannels), x.reshape(batch, _inChannels, height * width))
            .add_(bias.view(1, _outChannels, 1), Runtime.Scalars.One);
        return y.view(batch, _outChannels, height, width).MoveToOuterDisposeScope();
    }
}

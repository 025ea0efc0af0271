using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Models;

// Module fields carry their state-dict names: RegisterComponents registers fields by name.
#pragma warning disable IDE1006

/// <summary>A normalisation that can apply the GELU after it in its own passes.</summary>
internal interface INormThenGelu
{
    /// <summary>GELU(norm(x)).</summary>
    Tensor ForwardGelu(Tensor x);
}

/// <summary>GELU after a normalisation, fused into the norm's own passes where the norm has them.</summary>
internal static class Activation
{
    public static Tensor NormThenGelu(nn.Module<Tensor, Tensor> norm, Tensor x) =>
        norm is INormThenGelu fused ? fused.ForwardGelu(x) : nn.functional.gelu(norm.forward(x));
}

/// <summary>
/// Norm → GELU → layer, the pre-activation step every U-Net transition uses (down, up, head). The layer may change
/// the grid (a down- or up-sampling convolution) and the channel count.
/// </summary>
internal sealed class PreActivation : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> norm;
    private readonly nn.Module<Tensor, Tensor> conv;

    public PreActivation(string name, nn.Module<Tensor, Tensor> norm, nn.Module<Tensor, Tensor> conv)
        : base(name)
    {
        this.norm = norm;
        this.conv = conv;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using DisposeScope scope = NewDisposeScope();
        return conv.forward(Activation.NormThenGelu(norm, x)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A pre-activation residual block (He et al. 2016, "Identity mappings"): x + conv2(GELU(norm2(conv1(GELU(norm1(x)))))),
/// both convolutions on the same grid with the same channels.
/// </summary>
internal sealed class ResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> norm1;
    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> norm2;
    private readonly nn.Module<Tensor, Tensor> conv2;

    public ResidualBlock(string name, nn.Module<Tensor, Tensor> norm1, nn.Module<Tensor, Tensor> conv1, nn.Module<Tensor, Tensor> norm2, nn.Module<Tensor, Tensor> conv2)
        : base(name)
    {
        this.norm1 = norm1;
        this.conv1 = conv1;
        this.norm2 = norm2;
        this.conv2 = conv2;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor h = conv1.forward(Activation.NormThenGelu(norm1, x));
        h = conv2.forward(Activation.NormThenGelu(norm2, h));
        return x.add(h, Runtime.Scalars.One).MoveToOuterDisposeScope();
    }
}

/// <summary>Residual blocks applied in order; with none, the input passes through unchanged.</summary>
internal sealed class ResidualStage : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.ModuleList<ResidualBlock> blocks;

    public ResidualStage(string name, IEnumerable<ResidualBlock> blocks)
        : base(name)
    {
        this.blocks = nn.ModuleList(blocks.ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (blocks.Count == 0)
        {
            return x.alias();
        }

        Tensor h = blocks[0].forward(x);
        for (int i = 1; i < blocks.Count; i++)
        {
            Tensor next = blocks[i].forward(h);
            h.Dispose();
            h = next;
        }

        return h;
    }
}

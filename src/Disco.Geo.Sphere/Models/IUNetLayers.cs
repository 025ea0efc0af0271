using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Models;

/// <summary>
/// The layers that distinguish the two U-Nets. <see cref="SphereUNet"/> is one skeleton; the DISCO U-Net and the
/// planar baseline differ only in how they convolve on a level's grid, move between levels and normalise.
/// </summary>
internal interface IUNetLayers
{
    /// <summary>Learned weights per (input channel, output channel) pair of <see cref="Conv"/>, <see cref="Down"/> and <see cref="Up"/>.</summary>
    int WeightsPerConnection { get; }

    /// <summary>A convolution on level <paramref name="level"/>'s grid.</summary>
    nn.Module<Tensor, Tensor> Conv(string name, int level, int inChannels, int outChannels);

    /// <summary>A convolution from level <paramref name="level"/>'s grid onto level <paramref name="level"/> + 1's.</summary>
    nn.Module<Tensor, Tensor> Down(string name, int level, int inChannels, int outChannels);

    /// <summary>A convolution from level <paramref name="level"/> + 1's grid onto level <paramref name="level"/>'s.</summary>
    nn.Module<Tensor, Tensor> Up(string name, int level, int inChannels, int outChannels);

    /// <summary>A normalisation of <paramref name="channels"/> channels on level <paramref name="level"/>'s grid.</summary>
    nn.Module<Tensor, Tensor> Norm(string name, int level, int channels);

    /// <summary>A 1×1 convolution on level <paramref name="level"/>'s grid (skip merges and the head); the same for both U-Nets.</summary>
    nn.Module<Tensor, Tensor> Pointwise(string name, int level, int inChannels, int outChannels) => new PointwiseConv(name, inChannels, outChannels);
}

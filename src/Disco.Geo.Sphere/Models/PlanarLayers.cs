using Disco.Geo.Grids;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Models;

/// <summary>
/// The planar baseline's layers: 3×3 <c>Conv2d</c> on the equirectangular image of each level's grid, padded circularly
/// in longitude (the image wraps around the globe) and by replication at the top and bottom rows; stride-2 3×3
/// convolutions to go down; nearest-neighbour ×2 upsampling followed by a 3×3 convolution to come back up; and the
/// U-Net's group normalisation with plain pixel averages. This is what a standard image CNN does with a global raster.
/// </summary>
internal sealed class PlanarLayers : IUNetLayers
{
    private readonly ModelConfig _config;
    private readonly IReadOnlyList<SphereGrid> _grids;

    public PlanarLayers(ModelConfig config, IReadOnlyList<SphereGrid> grids)
    {
        _config = config;
        _grids = grids;
    }

    public int WeightsPerConnection => 9;

    public nn.Module<Tensor, Tensor> Conv(string name, int level, int inChannels, int outChannels) =>
        new PlanarConv(name, inChannels, outChannels, stride: 1, _grids[level]);

    public nn.Module<Tensor, Tensor> Down(string name, int level, int inChannels, int outChannels) =>
        new PlanarConv(name, inChannels, outChannels, stride: 2, _grids[level + 1]);

    public nn.Module<Tensor, Tensor> Up(string name, int level, int inChannels, int outChannels) =>
        new PlanarUpsample(name, inChannels, outChannels, _grids[level]);

    public nn.Module<Tensor, Tensor> Norm(string name, int level, int channels) =>
        new SphereGroupNorm(name, channels, SphereGroupNorm.GroupsFor(channels, _config.NormGroups), _grids[level], _config.Normalization, areaWeighted: false);
}

/// <summary>
/// A 3×3 convolution of an equirectangular image with one column of circular padding on each side (longitude wraps)
/// and one replicated row at the top and bottom. With stride 2 the output is cropped to the coarse grid's rows.
/// </summary>
internal sealed class PlanarConv : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // Module fields carry their state-dict names.
    private readonly Conv2d conv;
#pragma warning restore IDE1006
    private readonly SphereGrid _outGrid;

    public PlanarConv(string name, int inChannels, int outChannels, int stride, SphereGrid outGrid)
        : base(name)
    {
        conv = nn.Conv2d(inChannels, outChannels, kernel_size: 3L, stride: stride, padding: 0L);
        _outGrid = outGrid;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor padded = nn.functional.pad(nn.functional.pad(x, [1, 1, 0, 0], PaddingModes.Circular), [0, 0, 1, 1], PaddingModes.Replicate);
        Tensor y = conv.forward(padded);
        if (y.shape[2] != _outGrid.NLat)
        {
            y = y.narrow(2, 0, _outGrid.NLat);
        }

        return y.MoveToOuterDisposeScope();
    }
}

/// <summary>Nearest-neighbour ×2 upsampling cropped to the finer grid, then a padded 3×3 convolution.</summary>
internal sealed class PlanarUpsample : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // Module fields carry their state-dict names.
    private readonly PlanarConv conv;
#pragma warning restore IDE1006
    private readonly SphereGrid _outGrid;

    public PlanarUpsample(string name, int inChannels, int outChannels, SphereGrid outGrid)
        : base(name)
    {
        conv = new PlanarConv("conv", inChannels, outChannels, stride: 1, outGrid);
        _outGrid = outGrid;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor up = x.repeat_interleave(2, 2).repeat_interleave(2, 3).narrow(2, 0, _outGrid.NLat).narrow(3, 0, _outGrid.NLon);
        return conv.forward(up).MoveToOuterDisposeScope();
    }
}

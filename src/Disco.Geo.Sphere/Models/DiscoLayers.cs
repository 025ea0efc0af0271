using Disco.Geo.Grids;
using Disco.Geo.Sphere.Convolution;
using Disco.Geo.Sphere.FilterBases;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Models;

/// <summary>
/// The DISCO U-Net's layers: DISCO convolutions on each level's grid, DISCO convolutions onto the next coarser grid
/// to go down, transposed DISCO convolutions to come back up, and area-weighted group normalisation. With an isotropic
/// basis every one of them commutes with rotations of the sphere (up to quadrature error), and so does the network.
/// </summary>
internal sealed class DiscoLayers : IUNetLayers
{
    private readonly ModelConfig _config;
    private readonly IReadOnlyList<SphereGrid> _grids;

    public DiscoLayers(ModelConfig config, IReadOnlyList<SphereGrid> grids)
    {
        _config = config;
        _grids = grids;
        WeightsPerConnection = FilterBasis.Create(config.Basis, [.. config.KernelShape]).KernelSize;
    }

    public int WeightsPerConnection { get; }

    public nn.Module<Tensor, Tensor> Conv(string name, int level, int inChannels, int outChannels) =>
        new DiscoConvS2(name, inChannels, outChannels, _grids[level], _grids[level], Options(level));

    public nn.Module<Tensor, Tensor> Down(string name, int level, int inChannels, int outChannels) =>
        new DiscoConvS2(name, inChannels, outChannels, _grids[level], _grids[level + 1], Options(level + 1));

    public nn.Module<Tensor, Tensor> Up(string name, int level, int inChannels, int outChannels) =>
        new DiscoConvTransposeS2(name, inChannels, outChannels, _grids[level + 1], _grids[level], Options(level + 1));

    public nn.Module<Tensor, Tensor> Norm(string name, int level, int channels) =>
        new SphereGroupNorm(name, channels, SphereGroupNorm.GroupsFor(channels, _config.NormGroups), _grids[level], _config.Normalization, areaWeighted: true);

    private DiscoConvOptions Options(int level) => new()
    {
        KernelShape = [.. _config.KernelShape],
        BasisType = _config.Basis,
        Normalization = _config.BasisNormalization,
        ThetaCutoff = _config.CutoffAt(level),
        OrientationPooling = _config.OrientationPooling,
    };
}

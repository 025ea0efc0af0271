using Disco.Geo.Grids;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Models;

/// <summary>
/// The residual U-Net both architectures share (the dense-prediction network of the DISCO paper, Ocampo, Price &amp;
/// McEwen 2023): a stem convolution; per level, residual blocks, then a strided step down to the next coarser grid;
/// at the bottom, the last level's blocks; then per level on the way back, an upsampling step, concatenation with the
/// encoder's output at that level (skip connection), a 1×1 merge and residual blocks; finally norm, GELU and a 1×1 head.
/// Every transition is pre-activation (norm → GELU → convolution), so the stem's output and each block's output are
/// un-normalised residual streams. Which convolutions and normalisations are used comes from <see cref="IUNetLayers"/>.
/// </summary>
internal sealed class SphereUNet : SphereModel
{
#pragma warning disable IDE1006 // Module fields carry their state-dict names (RegisterComponents registers fields by name).
    private readonly nn.Module<Tensor, Tensor> stem;
    private readonly ModuleList<ResidualStage> encoder;
    private readonly ModuleList<PreActivation> down;
    private readonly ModuleList<PreActivation> up;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> merge;
    private readonly ModuleList<ResidualStage> decoder;
    private readonly PreActivation head;
#pragma warning restore IDE1006

    public SphereUNet(ModelConfig config, Func<ModelConfig, IReadOnlyList<SphereGrid>, IUNetLayers> layerFactory)
        : base(config.Architecture.ToName(), config)
    {
        IReadOnlyList<SphereGrid> grids = config.LevelGrids();
        LevelGrids = grids;
        IUNetLayers layers = layerFactory(config, grids);
        IReadOnlyList<int> channels = config.Channels;
        int levels = config.Levels;

        stem = layers.Conv("stem", 0, config.InputChannels, channels[0]);
        encoder = nn.ModuleList(Enumerable.Range(0, levels).Select(l => Stage(layers, l, channels[l], config.Blocks[l])).ToArray());
        down = nn.ModuleList(Enumerable.Range(0, levels - 1)
            .Select(l => new PreActivation("down", layers.Norm("norm", l, channels[l]), layers.Down("conv", l, channels[l], channels[l + 1])))
            .ToArray());
        up = nn.ModuleList(Enumerable.Range(0, levels - 1)
            .Select(l => new PreActivation("up", layers.Norm("norm", l + 1, channels[l + 1]), layers.Up("conv", l, channels[l + 1], channels[l])))
            .ToArray());
        merge = nn.ModuleList(Enumerable.Range(0, levels - 1).Select(l => layers.Pointwise("merge", l, 2 * channels[l], channels[l])).ToArray());
        decoder = nn.ModuleList(Enumerable.Range(0, levels - 1).Select(l => Stage(layers, l, channels[l], config.Blocks[l])).ToArray());
        head = new PreActivation("head", layers.Norm("norm", 0, channels[0]), layers.Pointwise("conv", 0, channels[0], config.OutputChannels));
        RegisterComponents();
    }

    /// <summary>The grids of the levels, finest first.</summary>
    public IReadOnlyList<SphereGrid> LevelGrids { get; }

    private protected override Tensor ForwardNormalized(Tensor x)
    {
        int levels = Config.Levels;
        Tensor h = stem.forward(x);
        Tensor[] skips = new Tensor[levels - 1];
        for (int l = 0; l < levels; l++)
        {
            h = encoder[l].forward(h);
            if (l < levels - 1)
            {
                skips[l] = h;
                h = down[l].forward(h);
            }
        }

        for (int l = levels - 2; l >= 0; l--)
        {
            Tensor upsampled = up[l].forward(h);
            h = decoder[l].forward(merge[l].forward(cat([upsampled, skips[l]], 1)));
        }

        return head.forward(h);
    }

    private static ResidualStage Stage(IUNetLayers layers, int level, int channels, int blocks) =>
        new("stage", Enumerable.Range(0, blocks).Select(_ => new ResidualBlock(
            "block",
            layers.Norm("norm1", level, channels),
            layers.Conv("conv1", level, channels, channels),
            layers.Norm("norm2", level, channels),
            layers.Conv("conv2", level, channels, channels))));
}

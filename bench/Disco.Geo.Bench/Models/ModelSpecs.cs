using System.Globalization;
using Disco.Geo.Grids;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Psi;

namespace Disco.Geo.Bench.Models;

/// <summary>
/// The models a benchmark's <c>--models</c> option names, so that every task (land/water, elevation, panoramas) can run
/// the same architecture search. Keys:
/// <list type="bullet">
/// <item><c>disco</c>: the product default DISCO U-Net (what <c>disco train</c> builds with no model options);</item>
/// <item><c>disco-iso</c>: the former reference, isotropic [3] with channels [16, 32, 64, 128];</item>
/// <item><c>disco-aniso</c>: the same with kernel shape (3, 3), channels unchanged;</item>
/// <item><c>planar</c>: the 3×3 <c>Conv2d</c> U-Net with the parameter count of <c>disco</c>;</item>
/// <item><c>disco:opt=v+…</c> and <c>planar:opt=v+…</c> (options joined by '+', as ',' separates models): a variant, with options <c>k=5x4</c> (kernel shape),
/// <c>basis=piecewise-linear|harmonic|zernike</c>, <c>cut=3</c> (filter radius at level 0 in grid steps of the model's
/// grid; default the basis' own), <c>c=8-16-32-64</c> (channels; without it the widths are scaled to the parameter
/// count of <c>disco-iso</c>, or to <c>p=N</c>), <c>b=2</c> or <c>b=1-2-2-1</c> (residual blocks), <c>norm=rms|mv</c>,
/// <c>g=8</c> (norm groups), <c>pool=1</c> (orientation pooling). A <c>planar:</c> key is the planar baseline of the DISCO variant with the same options.</item>
/// </list>
/// </summary>
internal static class ModelSpecs
{
    /// <summary>The configuration a key names for a task with the given inputs and outputs on <paramref name="grid"/>.</summary>
    public static ModelConfig Config(string key, ModelTask task, int inputs, int outputs, SphereGrid grid)
    {
        ModelConfig reference = ModelConfig.Reference(task, inputs, outputs, grid);
        ModelConfig product = ModelConfig.Create(task, inputs, outputs, grid);
        switch (key)
        {
            case "disco":
                return product;
            case "disco-iso":
                return reference;
            case "disco-aniso":
                return reference with { KernelShape = [3, 3] };
            case "planar":
                return SphereModelFactory.PlanarBaselineFor(product);
        }

        int colon = key.IndexOf(':', StringComparison.Ordinal);
        string family = colon < 0 ? key : key[..colon];
        if (family is not ("disco" or "planar"))
        {
            throw new ArgumentException($"Unknown model '{key}'; use disco, disco-iso, disco-aniso, planar, disco:k=5x4+cut=2 or planar:k=5x4.");
        }

        ModelConfig disco = Variant(reference, colon < 0 ? "" : key[(colon + 1)..], grid);
        return family == "planar" ? SphereModelFactory.PlanarBaselineFor(disco) : disco;
    }

    /// <summary>A short human name for tables: "DISCO U-Net (5,4)", "planar U-Net", "DISCO k=5x4+cut=2".</summary>
    public static string Label(string key) => key switch
    {
        "disco" => "DISCO U-Net (default)",
        "disco-iso" => "DISCO U-Net [3]",
        "disco-aniso" => "DISCO U-Net (3,3)",
        "planar" => "planar U-Net",
        _ when key.StartsWith("planar:", StringComparison.Ordinal) => "planar U-Net (" + key[7..] + ")",
        _ when key.StartsWith("disco:", StringComparison.Ordinal) => "DISCO " + key[6..],
        _ => key,
    };

    /// <summary>One line describing a configuration: kernel, basis, cutoff, widths, blocks, norm and parameter count.</summary>
    public static string Describe(ModelConfig config)
    {
        string widths = "[" + string.Join(", ", config.Channels) + "]";
        string blocks = "[" + string.Join(", ", config.Blocks) + "]";
        long parameters = SphereModelFactory.CountParameters(config);
        if (config.Architecture == ModelArchitecture.PlanarUnet)
        {
            return string.Create(CultureInfo.InvariantCulture, $"planar 3×3, channels {widths}, blocks {blocks}, {parameters:N0} parameters");
        }

        FilterBasis basis = FilterBasis.Create(config.Basis, [.. config.KernelShape]);
        string cutoff = config.CutoffRadians is double radians ? string.Create(CultureInfo.InvariantCulture, $"{radians * 180 / Math.PI:F2}°") : "default";
        return string.Create(CultureInfo.InvariantCulture,
            $"{config.Basis.ToName()} ({string.Join(",", config.KernelShape)}), K = {basis.KernelSize}, cutoff {cutoff}, channels {widths}, blocks {blocks}, {config.Normalization}{(config.OrientationPooling ? ", orientation pooling" : "")}, {parameters:N0} parameters");
    }

    private static ModelConfig Variant(ModelConfig reference, string options, SphereGrid grid)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        ModelConfig config = reference;
        bool channelsGiven = false;
        long budget = SphereModelFactory.CountParameters(reference);
        double? cutoffSteps = null;
        foreach (string option in options.Split('+', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] pair = option.Split('=', 2);
            if (pair.Length != 2)
            {
                throw new ArgumentException($"Model option '{option}' is not name=value.");
            }

            string value = pair[1];
            int[] Ints(char separator) => value.Split(separator).Select(v => int.Parse(v, c)).ToArray();
            switch (pair[0])
            {
                case "k":
                    config = config with { KernelShape = Ints('x') };
                    break;
                case "basis":
                    config = config with { Basis = BasisTypeNames.Parse(value) };
                    break;
                case "cut":
                    cutoffSteps = double.Parse(value, c);
                    break;
                case "c":
                    config = config with { Channels = Ints('-') };
                    channelsGiven = true;
                    break;
                case "b":
                    int[] blocks = Ints('-');
                    config = config with { Blocks = blocks.Length == 1 ? Enumerable.Repeat(blocks[0], config.Levels).ToArray() : blocks };
                    break;
                case "norm":
                    config = config with
                    {
                        Normalization = value switch
                        {
                            "rms" => FeatureNormalization.RootMeanSquare,
                            "mv" => FeatureNormalization.MeanAndVariance,
                            _ => throw new ArgumentException($"norm={value}: use rms or mv."),
                        },
                    };
                    break;
                case "g":
                    config = config with { NormGroups = int.Parse(value, c) };
                    break;
                case "pool":
                    config = config with { OrientationPooling = value is "1" or "true" };
                    break;
                case "p":
                    budget = long.Parse(value, c);
                    break;
                default:
                    throw new ArgumentException($"Unknown model option '{pair[0]}'; use k, basis, cut, c, b, norm, g, pool or p.");
            }
        }

        if (cutoffSteps is double steps)
        {
            config = config with { CutoffRadians = steps * ThetaCutoff.MaxLatitudeStep(grid) };
        }

        return channelsGiven ? config : SphereModelFactory.WithParameterBudget(config, budget);
    }
}

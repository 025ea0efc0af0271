namespace Disco.Geo.Sphere.Models;

/// <summary>Builds models from configurations and sizes the planar baseline to match a DISCO U-Net.</summary>
public static class SphereModelFactory
{
    /// <summary>
    /// Builds the model a configuration describes, on the CPU in float32, with weights initialised deterministically
    /// from <paramref name="seed"/> (the same configuration and seed give the same weights). Input and target statistics
    /// start as the identity; the trainer fills them in from the training set. DISCO filter tensors are built once per
    /// configuration and cached, so the first model on a large grid takes longer.
    /// </summary>
    /// <exception cref="ArgumentException">The configuration is invalid; the message names the field and how to fix it.</exception>
    public static SphereModel Create(ModelConfig config, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        SphereModel model = config.Architecture switch
        {
            ModelArchitecture.DiscoUnet => new SphereUNet(config, (c, grids) => new DiscoLayers(c, grids)),
            ModelArchitecture.PlanarUnet => new SphereUNet(config, (c, grids) => new PlanarLayers(c, grids)),
            _ => throw new ArgumentException($"Unknown architecture {config.Architecture}.", nameof(config)),
        };
        WeightInitialization.Apply(model, seed);
        return model;
    }

    /// <summary>The number of learned scalars <see cref="Create"/> would give, computed without building anything.</summary>
    public static long CountParameters(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        long k = config.Architecture == ModelArchitecture.DiscoUnet
            ? FilterBases.FilterBasis.Create(config.Basis, [.. config.KernelShape]).KernelSize
            : 9;
        return CountParameters(config.InputChannels, config.OutputChannels, config.Channels, config.Blocks, k);
    }

    /// <summary>
    /// The planar baseline for a DISCO U-Net: the same task, grid, levels and blocks, built from 3×3 <c>Conv2d</c>, with
    /// every level's width scaled by one common factor (rounded to multiples of 8) so that the parameter count is as
    /// close as possible to the DISCO U-Net's. A 3×3 kernel has 9 weights per channel pair against K = 2 or 3 for an
    /// isotropic DISCO kernel, so the baseline comes out narrower.
    /// </summary>
    public static ModelConfig PlanarBaselineFor(ModelConfig disco)
    {
        ArgumentNullException.ThrowIfNull(disco);
        return WithParameterBudget(disco with { Architecture = ModelArchitecture.PlanarUnet }, CountParameters(disco));
    }

    /// <summary>
    /// <paramref name="config"/> with every level's width scaled by one common factor (rounded to multiples of 8, at
    /// least 8) so that its parameter count comes as close as possible to <paramref name="parameters"/>: how models with
    /// different kernels (K weights per channel pair) are compared at equal size. Multiples of 8 because libtorch's
    /// oneDNN Conv2d trained the planar U-Net to NaN at random steps with widths rounded to multiples of 4
    /// (4 of 5 runs at 181×360, the same seed completing once), and in none of the runs with multiples of 8 (2026-12-07);
    /// its blocked layouts pad channels to multiples of 8.
    /// </summary>
    /// <exception cref="ArgumentException">The configuration is invalid or the budget is not positive.</exception>
    public static ModelConfig WithParameterBudget(ModelConfig config, long parameters)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameters, 1);
        config.Validate();
        long k = config.Architecture == ModelArchitecture.DiscoUnet
            ? FilterBases.FilterBasis.Create(config.Basis, [.. config.KernelShape]).KernelSize
            : 9;
        int[] best = [.. config.Channels];
        long bestError = long.MaxValue;
        for (int step = 20; step <= 400; step++)
        {
            double scale = step / 200.0;
            int[] channels = config.Channels.Select(c => Math.Max(8, (int)Math.Round(c * scale / 8.0) * 8)).ToArray();
            long error = Math.Abs(CountParameters(config.InputChannels, config.OutputChannels, channels, config.Blocks, k) - parameters);
            if (error < bestError)
            {
                (best, bestError) = (channels, error);
            }
        }

        return config with { Channels = best };
    }

    private static long CountParameters(int inputs, int outputs, IReadOnlyList<int> channels, IReadOnlyList<int> blocks, long k)
    {
        long Conv(long cin, long cout) => cout * cin * k + cout;
        long Pointwise(long cin, long cout) => cout * cin + cout;
        long Norm(long c) => 2 * c;
        long Block(long c) => 2 * Norm(c) + 2 * Conv(c, c);

        int levels = channels.Count;
        long total = Conv(inputs, channels[0]) + Norm(channels[0]) + Pointwise(channels[0], outputs);
        for (int l = 0; l < levels; l++)
        {
            total += blocks[l] * Block(channels[l]);
            if (l < levels - 1)
            {
                total += blocks[l] * Block(channels[l]);
                total += Norm(channels[l]) + Conv(channels[l], channels[l + 1]);
                total += Norm(channels[l + 1]) + Conv(channels[l + 1], channels[l]);
                total += Pointwise(2 * channels[l], channels[l]);
            }
        }

        return total;
    }
}

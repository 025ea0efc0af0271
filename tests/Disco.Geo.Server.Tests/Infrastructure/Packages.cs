using Disco.Geo.Grids;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Packaging;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// Real model packages written by the DISCO engine: an untrained two-level land/water U-Net on a 10° grid (19×36,
/// column 0 at 0° E). <c>baseChannels</c> sets the size (about 3 KiB at 4, 3 MiB at 128).
/// </summary>
internal static class Packages
{
    public static readonly SphereGrid Grid = SphereGrid.Create(GridKind.Equiangular, 19, 36, 0);

    public static string Write(string directory, string file, int baseChannels = 4, int seed = 1, string name = "land-water", int inputs = 1)
    {
        ModelConfig config = ModelConfig.Create(ModelTask.Segmentation, inputs, 2, Grid, levels: 2, baseChannels: baseChannels);
        using SphereModel model = SphereModelFactory.Create(config, seed);
        string path = Path.Combine(directory, file);
        ModelPackage.SaveAsync(path, model, new ModelCardInfo
        {
            Name = name,
            ClassNames = ["water", "land"],
            ClassColors = ["#1f4e9c", "#3c8d2f"],
            Metrics = new Dictionary<string, double> { ["miou"] = 0.93, ["accuracy"] = 0.97 },
        }).GetAwaiter().GetResult();
        return path;
    }

    /// <summary>
    /// An untrained panorama segmentation U-Net (three input bands; classes floor, ceiling, wall and object unless
    /// <paramref name="classes"/> says otherwise) on <see cref="Grid"/> with <paramref name="kernelShape"/>: [3] for
    /// an isotropic leveller, [3, 4] for a directional model.
    /// </summary>
    public static string WritePanorama(string directory, string file, string name, int[] kernelShape, int seed, string[]? classes = null)
    {
        classes ??= ["floor", "ceiling", "wall", "object"];
        ModelConfig config = ModelConfig.Create(ModelTask.Segmentation, 3, classes.Length, Grid, levels: 2, baseChannels: 4) with { KernelShape = kernelShape };
        using SphereModel model = SphereModelFactory.Create(config, seed);
        string path = Path.Combine(directory, file);
        ModelPackage.SaveAsync(path, model, new ModelCardInfo
        {
            Name = name,
            ClassNames = classes,
            ClassColors = [.. classes.Select((_, i) => $"#{(40 * i) + 20:x2}8040")],
        }).GetAwaiter().GetResult();
        return path;
    }
}

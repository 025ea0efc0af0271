using Disco.Geo.Grids;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Models;

namespace Disco.Geo.Sphere.Tests.Data;

/// <summary>Small synthetic datasets and helpers shared by the model, training, packaging and inference tests.</summary>
internal static class SyntheticSpheres
{
    public static SphereGrid Grid { get; } = SphereGrid.Create(GridKind.Equiangular, 17, 32);

    /// <summary>
    /// Northern vs southern hemisphere: band 0 is a noisy sin(latitude), band 1 a longitude wave that carries no
    /// information about the label; class 1 north of the equator, 0 south.
    /// </summary>
    public static InMemorySphereDataset Hemispheres(int count, int seed, SphereGrid? grid = null, bool flipLabels = false)
    {
        grid ??= Grid;
        Random random = new(seed);
        int nodes = grid.NLat * grid.NLon;
        List<SphereSample> samples = [];
        for (int s = 0; s < count; s++)
        {
            float[] input = new float[2 * nodes];
            int[] classes = new int[nodes];
            double phase = random.NextDouble() * 2 * Math.PI;
            for (int i = 0; i < grid.NLat; i++)
            {
                double latitude = grid.LatitudeDegrees(i) * Math.PI / 180;
                for (int p = 0; p < grid.NLon; p++)
                {
                    int n = i * grid.NLon + p;
                    input[n] = (float)(Math.Sin(latitude) + 0.3 * (random.NextDouble() - 0.5));
                    input[nodes + n] = (float)Math.Cos(phase + grid.LongitudeRadians(p) * 3);
                    bool north = latitude > 0;
                    classes[n] = north ^ flipLabels ? 1 : 0;
                }
            }

            samples.Add(SphereSample.ForSegmentation(input, classes, grid.NLat, grid.NLon));
        }

        return new InMemorySphereDataset(grid, samples);
    }

    /// <summary>
    /// Segment where band 0 is positive, with band 0 = 0.8·sin(latitude) + a per-globe offset in [−0.4, 0.4] + a
    /// longitude wave: the threshold is absolute, so a model must not rescale each globe against its own mean.
    /// </summary>
    public static InMemorySphereDataset Thresholds(int count, int seed)
    {
        SphereGrid grid = Grid;
        Random random = new(seed);
        int nodes = grid.NLat * grid.NLon;
        List<SphereSample> samples = [];
        for (int s = 0; s < count; s++)
        {
            float[] input = new float[2 * nodes];
            int[] classes = new int[nodes];
            double offset = 0.8 * (random.NextDouble() - 0.5), phase = random.NextDouble() * 2 * Math.PI;
            for (int i = 0; i < grid.NLat; i++)
            {
                double z = Math.Sin(grid.LatitudeDegrees(i) * Math.PI / 180);
                for (int p = 0; p < grid.NLon; p++)
                {
                    int n = i * grid.NLon + p;
                    double value = 0.8 * z + offset + 0.3 * Math.Cos(grid.LongitudeRadians(p) * 2 + phase);
                    input[n] = (float)value;
                    input[nodes + n] = (float)random.NextDouble();
                    classes[n] = value > 0 ? 1 : 0;
                }
            }

            samples.Add(SphereSample.ForSegmentation(input, classes, grid.NLat, grid.NLon));
        }

        return new InMemorySphereDataset(grid, samples);
    }

    /// <summary>A smooth regression target: y = 300 · sin(latitude) + 1000, from input sin(latitude) and a distractor band.</summary>
    public static InMemorySphereDataset SmoothRegression(int count, int seed, bool depth = false)
    {
        SphereGrid grid = Grid;
        Random random = new(seed);
        int nodes = grid.NLat * grid.NLon;
        List<SphereSample> samples = [];
        for (int s = 0; s < count; s++)
        {
            float[] input = new float[2 * nodes];
            float[] values = new float[nodes];
            double scale = 0.5 + random.NextDouble();
            for (int i = 0; i < grid.NLat; i++)
            {
                double z = Math.Sin(grid.LatitudeDegrees(i) * Math.PI / 180);
                for (int p = 0; p < grid.NLon; p++)
                {
                    int n = i * grid.NLon + p;
                    input[n] = (float)(scale * z);
                    input[nodes + n] = (float)random.NextDouble();
                    values[n] = depth ? (float)(2 + scale * (1.5 + z)) : (float)(300 * scale * z + 1000);
                }
            }

            samples.Add(SphereSample.ForRegression(input, values, grid.NLat, grid.NLon));
        }

        return new InMemorySphereDataset(grid, samples);
    }

    /// <summary>A 2-level DISCO U-Net (or planar baseline) for the 17×32 grid, isotropic kernel.</summary>
    public static ModelConfig TinyConfig(ModelTask task = ModelTask.Segmentation, int outputs = 2, ModelArchitecture architecture = ModelArchitecture.DiscoUnet) =>
        ModelConfig.Create(task, 2, outputs, Grid, levels: 2, baseChannels: 8) with { Architecture = architecture };

    public static string TemporaryDirectory()
    {
        string path = Path.Combine(Path.GetTempPath(), "disco-models-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}

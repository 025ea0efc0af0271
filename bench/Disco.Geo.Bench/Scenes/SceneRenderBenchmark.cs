using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Scenes;
using Disco.Geo.Scenes.Generation;
using Disco.Geo.Scenes.Rendering;

namespace Disco.Geo.Bench.Scenes;

/// <summary>
/// Speed of the synthetic panorama renderer: one 256×512 panorama on one core (wall and CPU time per scene), the
/// cost of 2×2 supersampling, and a dataset of 128×256 panoramas on all cores.
/// </summary>
internal sealed class SceneRenderBenchmark : IBenchmark
{
    public string Name => "scenes-render";

    public string Description => "Panorama renderer: 256x512 on one core, and a 128x256 dataset on all cores";

    public Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        int scenes = context.Quick ? 6 : 24;
        int datasetCount = int.Parse(context.Option("count", context.Quick ? "60" : "300"), CultureInfo.InvariantCulture);

        // Warm-up: let the JIT reach its optimised tier before timing.
        foreach (Panorama _ in PanoramaDataset.Generate(4, 999, 128, 256))
        {
        }

        RenderOptions oneCore = new() { MaxDegreeOfParallelism = 1 };
        RenderOptions oneCoreSupersampled = oneCore with { Supersampling = 2 };
        List<double> wall = [];
        List<double> cpu = [];
        List<double> supersampled = [];
        for (int i = 0; i < scenes && !cancellationToken.IsCancellationRequested; i++)
        {
            (Scene scene, Camera camera) = PanoramaDataset.SceneAndCamera(1, i);
            (double w, double c) = Time(() => PanoramaRenderer.Render(scene, camera, 256, 512, oneCore));
            wall.Add(w);
            cpu.Add(c);
            if (i < scenes / 3)
            {
                supersampled.Add(Time(() => PanoramaRenderer.Render(scene, camera, 256, 512, oneCoreSupersampled)).Wall);
            }

            Console.WriteLine($"scene {i}: {w:F1} ms wall, {c:F1} ms CPU ({scene.PrimitiveCount} primitives, {scene.LightCount} lights)");
        }

        Stopwatch dataset = Stopwatch.StartNew();
        int rendered = 0;
        foreach (Panorama _ in PanoramaDataset.Generate(datasetCount, 2, 128, 256))
        {
            rendered++;
            cancellationToken.ThrowIfCancellationRequested();
        }

        dataset.Stop();
        Console.WriteLine($"dataset: {rendered} panoramas at 128x256 in {dataset.Elapsed.TotalSeconds:F2} s");

        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        StringBuilder body = new();
        body.AppendLine(CultureInfo.InvariantCulture, $"Load average when measured: {load} (other work on the machine inflates wall times; CPU time is the better single-core figure).");
        body.AppendLine();
        body.AppendLine("| what | median | 90th percentile |");
        body.AppendLine("| --- | --- | --- |");
        body.AppendLine(CultureInfo.InvariantCulture, $"| 256×512, 1 core, wall ({wall.Count} scenes) | {Percentile(wall, 0.5):F1} ms | {Percentile(wall, 0.9):F1} ms |");
        body.AppendLine(CultureInfo.InvariantCulture, $"| 256×512, 1 core, CPU | {Percentile(cpu, 0.5):F1} ms | {Percentile(cpu, 0.9):F1} ms |");
        body.AppendLine(CultureInfo.InvariantCulture, $"| 256×512, 1 core, 2×2 supersampling, wall ({supersampled.Count} scenes) | {Percentile(supersampled, 0.5):F1} ms | {Percentile(supersampled, 0.9):F1} ms |");
        body.AppendLine();
        body.AppendLine(CultureInfo.InvariantCulture,
            $"Dataset: {rendered} panoramas of 128×256 (scene generation included) on {Environment.ProcessorCount} cores in {dataset.Elapsed.TotalSeconds:F2} s, " +
            $"{dataset.Elapsed.TotalMilliseconds / Math.Max(1, rendered):F1} ms each.");
        context.WriteSection("Synthetic panorama renderer", body.ToString());
        return Task.FromResult(0);
    }

    private static (double Wall, double Cpu) Time(Action action)
    {
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        Stopwatch stopwatch = Stopwatch.StartNew();
        action();
        stopwatch.Stop();
        return (stopwatch.Elapsed.TotalMilliseconds, (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds);
    }

    private static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        double[] sorted = [.. values.Order()];
        return sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
    }
}

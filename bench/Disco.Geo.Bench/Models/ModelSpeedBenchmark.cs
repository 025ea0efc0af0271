using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Grids;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Bench.Models;

/// <summary>
/// Issue 4 §5: inference of a 361×720 map through the reference DISCO U-Net (and the variants and baseline beside it),
/// training step time at 181×360 and 361×720, and each case's peak RSS, every case in a fresh process.
/// </summary>
internal sealed class ModelSpeedBenchmark : IBenchmark
{
    private static readonly string[] InferenceCases = ["infer:disco:361", "infer:disco-default:361", "infer:disco-blocks-0111:361", "infer:planar:361", "infer:disco:181", "infer:planar:181"];
    private static readonly string[] TrainingCases = ["train:disco:181", "train:disco-default:181", "train:disco:361", "train:planar:181", "train:planar:361", "train:disco:181:omp-default", "train:planar:181:omp-default"];

    public string Name => "model-speed";

    public string Description => "Reference DISCO U-Net vs planar baseline: 361x720 inference, training steps at 181x360 and 361x720, peak RSS [--quick]";

    public async Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        if (BenchmarkProcesses.ChildCase(context) is string child)
        {
            Measure(child, context.Quick);
            return 0;
        }

        CultureInfo c = CultureInfo.InvariantCulture;
        string loadBefore = BenchmarkProcesses.LoadAverage();
        StringBuilder inference = new();
        inference.AppendLine("| model | grid | parameters | build (psi) | forward, B = 1 | forward, 1 libtorch thread: wall / CPU | banded prediction (16-row bands) | peak RSS |");
        inference.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (string name in InferenceCases)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string[] r = await BenchmarkProcesses.RunAsync(context, name, cancellationToken);
            (string label, SphereGrid grid) = Describe(name);
            string line = string.Create(c, $"| {label} | {grid.NLat}×{grid.NLon} | {BenchmarkProcesses.Parse(r[0]):N0} | {BenchmarkProcesses.Parse(r[1]):F1} s | {BenchmarkProcesses.Parse(r[2]):F0} ms | {BenchmarkProcesses.Parse(r[5]):F0} ms / {BenchmarkProcesses.Parse(r[6]):F0} ms | {BenchmarkProcesses.Parse(r[3]):F0} ms | {BenchmarkProcesses.Parse(r[4]):F2} GiB |");
            Console.WriteLine(line);
            inference.AppendLine(line);
        }

        StringBuilder training = new();
        training.AppendLine("| model | grid | batch | step (fwd + bwd + AdamW, median) | process CPU per step | samples/s | peak RSS |");
        training.AppendLine("|---|---|---|---|---|---|---|");
        foreach (string name in TrainingCases)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool defaultPolicy = name.EndsWith(":omp-default", StringComparison.Ordinal);
            string[] r = await BenchmarkProcesses.RunAsync(context, name, cancellationToken, defaultPolicy);
            (string label, SphereGrid grid) = Describe(name);
            label += defaultPolicy ? ", OMP_WAIT_POLICY unset" : "";
            double step = BenchmarkProcesses.Parse(r[0]);
            string line = string.Create(c, $"| {label} | {grid.NLat}×{grid.NLon} | 1 | {step:F0} ms | {BenchmarkProcesses.Parse(r[2]):F0} ms | {1000 / step:F2} | {BenchmarkProcesses.Parse(r[1]):F2} GiB |");
            Console.WriteLine(line);
            training.AppendLine(line);
        }

        ModelConfig reference = ModelConfig.Reference(ModelTask.Segmentation, 3, 2, SphereGrid.Create(GridKind.Equiangular, 361, 720));
        StringBuilder body = new();
        body.AppendLine(string.Create(c, $"Reference DISCO U-Net (`ModelConfig.Reference`): channels [{string.Join(", ", reference.Channels)}], residual blocks per level [{string.Join(", ", reference.Blocks)}], "));
        body.AppendLine("isotropic piecewise linear kernel [3] (K = 2), nodal normalisation, default cutoff, area-weighted RMS group norm (8 groups), GELU, 3 input bands, 2 classes.");
        body.AppendLine("\"blocks 0-1-1-1\" drops the full-resolution residual blocks (a lighter variant). The planar baseline is");
        body.AppendLine("`SphereModelFactory.PlanarBaselineFor(reference)`: the same U-Net with 3×3 `Conv2d`, widths scaled to match the parameter count.");
        body.AppendLine("Forward = `SphereModel.forward` under no_grad, float32, median after warm-up; banded prediction = `SpherePredictor.PredictBandsAsync`");
        body.AppendLine("from a managed input array to all bands emitted (class ids). \"1 libtorch thread\" repeats the forward with `torch.set_num_threads(1)`");
        body.AppendLine("(the DISCO CPU kernel still uses .NET's workers): its CPU time is the work itself, which load on the shared cores inflates least. Training = `SphereTrainer` steps on synthetic smooth globes, batch 1, no");
        body.AppendLine("augmentation, median time between consecutive step events (collation, forward, loss, backward, clipping, AdamW). Each row runs in a");
        body.AppendLine(string.Create(c, $"fresh process; peak RSS is that process's high-water mark. libtorch threads: {torch.get_num_threads()}; .NET workers: {Environment.ProcessorCount}."));
        body.AppendLine(string.Create(c, $"Child processes run with OMP_WAIT_POLICY={Environment.GetEnvironmentVariable(BenchmarkProcesses.OpenMpWaitPolicy) ?? "PASSIVE"} except the rows marked \"unset\": with libgomp's default"));
        body.AppendLine("spin-then-sleep policy, libtorch's two OpenMP threads stall each other whenever another process holds a core (measured 5–10× slower");
        body.AppendLine("steps at load 4–7); the variable is read only when libtorch loads, so launchers must set it.");
        body.AppendLine();
        body.AppendLine(string.Create(c, $"**Preliminary:** 2 cores shared with other engineers' builds and tests (load average {loadBefore} before, {BenchmarkProcesses.LoadAverage()} after); single runs vary by 2× and more under that load."));
        body.AppendLine();
        body.AppendLine("### Inference");
        body.AppendLine();
        body.Append(inference);
        body.AppendLine();
        body.AppendLine("### Training steps");
        body.AppendLine();
        body.Append(training);
        context.WriteSection("Models: inference and training speed", body.ToString());
        return 0;
    }

    private static (string Label, SphereGrid Grid) Describe(string name)
    {
        string[] parts = name.Split(':');
        string label = parts[1] switch
        {
            "disco" => "DISCO U-Net (reference)",
            "disco-blocks-0111" => "DISCO U-Net, blocks 0-1-1-1",
            "disco-default" => "DISCO U-Net (default: (3,4), 10 base channels)",
            _ => "planar baseline",
        };
        SphereGrid grid = parts[2] == "361" ? SphereGrid.Create(GridKind.Equiangular, 361, 720) : SphereGrid.Create(GridKind.Equiangular, 181, 360);
        return (label, grid);
    }

    private static ModelConfig ConfigFor(string variant, SphereGrid grid)
    {
        ModelConfig reference = ModelConfig.Reference(ModelTask.Segmentation, 3, 2, grid);
        return variant switch
        {
            "disco" => reference,
            "disco-blocks-0111" => reference with { Blocks = [0, 1, 1, 1] },
            "disco-default" => ModelConfig.Create(ModelTask.Segmentation, 3, 2, grid),
            _ => SphereModelFactory.PlanarBaselineFor(reference),
        };
    }

    private static void Measure(string name, bool quick)
    {
        string[] parts = name.Split(':');
        (_, SphereGrid grid) = Describe(name);
        ModelConfig config = ConfigFor(parts[1], grid);
        int runs = quick ? 3 : 7;
        Stopwatch build = Stopwatch.StartNew();
        using SphereModel model = SphereModelFactory.Create(config, seed: 1);
        double buildSeconds = build.Elapsed.TotalSeconds;
        SphereSample sample = SyntheticGlobes.Sample(grid, 3, 1);
        if (parts[0] == "infer")
        {
            model.eval();
            using Tensor x = tensor(sample.Input, [1, 3, grid.NLat, grid.NLon]);
            double forward = Time(runs, () =>
            {
                using IDisposable noGrad = no_grad();
                using Tensor y = model.forward(x);
                _ = y[0, 0, 0, 0].item<float>();
            });
            SpherePredictor predictor = new(model);
            double banded = Time(runs, () =>
            {
                int rows = 0;
                foreach (PredictionBand band in predictor.PredictBandsAsync(sample.Input).ToBlockingEnumerable())
                {
                    rows += band.RowCount;
                }
            });
            double peak = BenchmarkContext.PeakRssBytes() / (1024.0 * 1024 * 1024);
            int threads = torch.get_num_threads();
            torch.set_num_threads(1);
            List<double> cpuTimes = [];
            double single = Time(runs, () =>
            {
                double before = ProcessCpuMilliseconds();
                using IDisposable noGrad = no_grad();
                using Tensor y = model.forward(x);
                _ = y[0, 0, 0, 0].item<float>();
                cpuTimes.Add(ProcessCpuMilliseconds() - before);
            });
            double singleCpu = BenchmarkProcesses.Median(cpuTimes.TakeLast(runs));
            torch.set_num_threads(threads);
            BenchmarkProcesses.Report(model.ParameterCount, buildSeconds, forward, banded, peak, single, singleCpu);
            return;
        }

        InMemorySphereDataset data = new(grid, [sample, SyntheticGlobes.Sample(grid, 3, 2)]);
        List<double> stamps = [], cpu = [];
        Stopwatch clock = Stopwatch.StartNew();
        int steps = quick ? 6 : 12;
        new SphereTrainer().TrainAsync(model, data, null, new TrainingOptions { Epochs = steps, BatchSize = 1, MaxSteps = steps },
            new StepClock(stamps, cpu, clock)).GetAwaiter().GetResult();

        // Skip the first steps: they allocate the optimizer's moments and warm the allocator.
        double[] durations = stamps.Zip(stamps.Skip(1), (a, b) => b - a).Skip(3).ToArray();
        double[] cpuPerStep = cpu.Zip(cpu.Skip(1), (a, b) => b - a).Skip(3).ToArray();
        BenchmarkProcesses.Report(BenchmarkProcesses.Median(durations), BenchmarkContext.PeakRssBytes() / (1024.0 * 1024 * 1024), BenchmarkProcesses.Median(cpuPerStep));
    }

    private const int WarmupRuns = 3;

    private static double ProcessCpuMilliseconds()
    {
        using Process self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalMilliseconds;
    }

    private static double Time(int runs, Action action)
    {
        // Warm-up: the first passes of a process page-fault fresh buffers until the allocator has grown, and the CPU
        // kernel's first calls run before tiered compilation has optimised it; warm up for WarmupRuns calls and up to
        // 8 calls or 5 seconds.
        Stopwatch warming = Stopwatch.StartNew();
        for (int i = 0; i < 8 && (i < WarmupRuns || warming.Elapsed < TimeSpan.FromSeconds(5)); i++)
        {
            action();
        }

        List<double> times = [];
        for (int i = 0; i < runs; i++)
        {
            Stopwatch watch = Stopwatch.StartNew();
            action();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        return BenchmarkProcesses.Median(times);
    }

    private sealed class StepClock(List<double> stamps, List<double> cpu, Stopwatch clock) : IProgress<TrainingEvent>
    {
        public void Report(TrainingEvent value)
        {
            if (value.Kind == TrainingEventKind.Step)
            {
                stamps.Add(clock.Elapsed.TotalMilliseconds);
                cpu.Add(ProcessCpuMilliseconds());
            }
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Grids;
using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.Convolution;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Losses;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Psi;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Disco.Geo.Bench.Models;

/// <summary>
/// Issue 14: where the time of one training step of the reference DISCO U-Net goes. Runs the same step as
/// <c>SphereTrainer</c> (batch, zero_grad, forward, area-weighted cross-entropy, backward, clipping, AdamW) with every
/// DISCO convolution and group norm (with the GELU it applies in its own passes) booked to its part, forward and
/// backward apart (see <see cref="StepProfiler"/>), then times each DISCO layer's contraction alone on the same shapes
/// to split the layers into contraction and channel mixing. What is not booked to a part (residual adds,
/// concatenation, input normalisation, the autograd engine between nodes) is the "rest" row of its phase.
/// </summary>
internal sealed class ModelProfileBenchmark : IBenchmark
{
    private const int WarmupSteps = 3;

    public string Name => "model-profile";

    public string Description => "Reference DISCO U-Net training step broken down by part (forward/backward) [--grid 181|361] [--steps N] [--quick]";

    public Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        int nlat = int.Parse(context.Option("grid", "181"), c);
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, nlat, 2 * (nlat - 1));
        int steps = int.Parse(context.Option("steps", context.Quick ? "6" : "15"), c);
        string loadBefore = BenchmarkProcesses.LoadAverage();
        ModelConfig config = ModelConfig.Reference(ModelTask.Segmentation, 3, 2, grid);
        StepProfiler profiler = new();
        using SphereUNet model = ProfiledLayers.Build(config, profiler);
        WeightInitialization.Apply(model, 1);
        model.train();
        SphereSample sample = SyntheticGlobes.Sample(grid, 3, 1);

        List<Parameter> decay = [], noDecay = [];
        foreach ((string _, Parameter p) in model.named_parameters())
        {
            (p.dim() > 1 ? decay : noDecay).Add(p);
        }

        using AdamW optimizer = optim.AdamW(
        [
            new AdamW.ParamGroup(decay, 1e-3, 0.9, 0.999, 1e-8, 1e-4, false, false),
            new AdamW.ParamGroup(noDecay, 1e-3, 0.9, 0.999, 1e-8, 0.0, false, false),
        ]);
        List<Parameter> parameters = [.. decay, .. noDecay];

        // The unprofiled steps first: they also let tiered compilation optimise the managed CPU kernel before the
        // profiled steps (the first few dozen calls run unoptimised code).
        Phases plain = RunSteps(model, config, sample, optimizer, parameters, profiler, steps, enabled: false, cancellationToken);
        Phases profiled = RunSteps(model, config, sample, optimizer, parameters, profiler, steps, enabled: true, cancellationToken);
        List<(string Kind, double Forward, double Backward)> contractions = ContractionTimes(model, context.Quick ? 3 : 7);

        StringBuilder body = new();
        body.AppendLine(string.Create(c, $"Reference DISCO U-Net ({model.ParameterCount:N0} parameters), {grid.NLat}×{grid.NLon}, batch 1, float32, {steps} steps of which the first {WarmupSteps} are warm-up;"));
        // The policy this process set natively at start (Environment's copy of the variables predates it); the
        // server's assembly, referenced here, compiles its own copy of the same class.
#pragma warning disable CS0436
        body.AppendLine(string.Create(c, $"libtorch threads {torch.get_num_threads()}, .NET workers {Environment.ProcessorCount}, OMP_WAIT_POLICY={NativeEnvironment.OpenMpWaitPolicy ?? "unset"};"));
#pragma warning restore CS0436
        body.AppendLine(string.Create(c, $"load average {loadBefore} before, {BenchmarkProcesses.LoadAverage()} after. Mean ms per step. The input requires grad here so the stem's backward is bracketed"));
        body.AppendLine("(that adds the stem's 3-channel input gradient, which a real step skips). Rows marked \"rest\" are what no part claims.");
        body.AppendLine();
        body.AppendLine("| part | calls/step | forward ms | backward ms | total ms | share |");
        body.AppendLine("|---|---|---|---|---|---|");
        double step = profiled.Total;
        double partsForward = 0, partsBackward = 0;
        void Row(string name, double calls, double forward, double backward)
        {
            string line = string.Create(c, $"| {name} | {(double.IsNaN(calls) ? "–" : calls.ToString("0.#", c))} | {forward:F1} | {backward:F1} | {forward + backward:F1} | {100 * (forward + backward) / step:F0} % |");
            body.AppendLine(line);
        }

        foreach (IGrouping<string, StepProfiler.Part> group in profiler.Parts.Values.GroupBy(p => Category(p.Name)).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            foreach (StepProfiler.Part part in group.OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                double f = Ms(part.ForwardTicks) / profiled.Steps, b = Ms(part.BackwardTicks) / profiled.Steps;
                partsForward += f;
                partsBackward += b;
                Row(part.Name, (double)part.Calls / profiled.Steps, f, b);
            }
        }

        Row("forward rest: residual adds, concat, input normalisation", double.NaN, profiled.Forward - partsForward, 0);
        Row("loss (area-weighted cross-entropy, incl. reading the value)", 1, profiled.Loss, 0);
        Row("backward rest: adds, concat, loss, engine", double.NaN, 0, profiled.Backward - partsBackward);
        Row("batch (collation, to tensors)", 1, profiled.Batch, 0);
        Row("zero_grad", 1, profiled.ZeroGrad, 0);
        Row("clip_grad_norm_", 1, profiled.Clip, 0);
        Row("AdamW step", 1, profiled.Optimizer, 0);
        Row("dispose scope (freeing the step's tensors)", 1, profiled.Dispose, 0);
        body.AppendLine(string.Create(c, $"| **step (profiled)** | | {profiled.Forward:F1} | {profiled.Backward:F1} | **{profiled.Total:F1}** | |"));
        body.AppendLine(string.Create(c, $"| **step without the marks (median)** | | | | **{plain.Median:F1}** | |"));
        body.AppendLine();
        body.AppendLine(string.Create(c, $"Managed heap: {profiled.AllocatedBytes / profiled.Steps / 1024.0:F0} KiB allocated per step, {profiled.GcCount / (double)profiled.Steps:F2} collections per step, {profiled.GcPauseMs / profiled.Steps:F2} ms GC pause per step."));
        body.AppendLine();
        body.AppendLine("DISCO contraction alone (the layer's own psi, same input shapes, autograd on; median), summed over the network's layers per kind:");
        body.AppendLine();
        body.AppendLine("| kind | forward ms | backward ms |");
        body.AppendLine("|---|---|---|");
        foreach (IGrouping<string, (string Kind, double Forward, double Backward)> kind in contractions.GroupBy(x => x.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            body.AppendLine(string.Create(c, $"| {kind.Key} | {kind.Sum(x => x.Forward):F1} | {kind.Sum(x => x.Backward):F1} |"));
        }

        body.AppendLine(string.Create(c, $"| **all DISCO layers** | {contractions.Sum(x => x.Forward):F1} | {contractions.Sum(x => x.Backward):F1} |"));
        string text = body.ToString();
        Console.WriteLine(text);
        context.WriteSection("Models: where a training step's time goes", text);
        return Task.FromResult(0);
    }

    private static string Category(string part) => part.StartsWith("DISCO", StringComparison.Ordinal) ? "a" : "b";

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static Phases RunSteps(
        SphereUNet model, ModelConfig config, SphereSample sample, AdamW optimizer, List<Parameter> parameters, StepProfiler profiler, int steps, bool enabled,
        CancellationToken cancellationToken)
    {
        Phases phases = new();
        List<double> totals = [];
        for (int s = 0; s < steps; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool measured = s >= WarmupSteps;
            profiler.Enabled = enabled && measured;
            long allocatedBefore = GC.GetTotalAllocatedBytes();
            int gcBefore = GC.CollectionCount(0);
            TimeSpan pauseBefore = GC.GetTotalPauseDuration();
            long t0 = Stopwatch.GetTimestamp();
            long tBatch, tZero, tForward, tLoss, tBackward, tClip, tStep;
            using (DisposeScope scope = NewDisposeScope())
            {
                using SphereBatch batch = SphereBatch.Create([sample], [0], config, model.Device);
                Tensor input = batch.Input.to(ScalarType.Float32);
                if (enabled)
                {
                    input = input.requires_grad_(true);
                }

                tBatch = Stopwatch.GetTimestamp();
                optimizer.zero_grad();
                tZero = Stopwatch.GetTimestamp();
                Tensor raw = model.forward(input);
                tForward = Stopwatch.GetTimestamp();
                Tensor loss = TaskLoss.Compute(model, raw, batch, new LossOptions());
                _ = loss.ToDouble();
                tLoss = Stopwatch.GetTimestamp();
                loss.backward();
                tBackward = Stopwatch.GetTimestamp();
                _ = nn.utils.clip_grad_norm_(parameters, 1.0);
                tClip = Stopwatch.GetTimestamp();
                optimizer.step();
                tStep = Stopwatch.GetTimestamp();
            }

            long tEnd = Stopwatch.GetTimestamp();
            if (!measured)
            {
                if (enabled)
                {
                    profiler.Reset();
                }

                continue;
            }

            phases.Steps++;
            phases.Batch += Ms(tBatch - t0);
            phases.ZeroGrad += Ms(tZero - tBatch);
            phases.Forward += Ms(tForward - tZero);
            phases.Loss += Ms(tLoss - tForward);
            phases.Backward += Ms(tBackward - tLoss);
            phases.Clip += Ms(tClip - tBackward);
            phases.Optimizer += Ms(tStep - tClip);
            phases.Dispose += Ms(tEnd - tStep);
            phases.AllocatedBytes += GC.GetTotalAllocatedBytes() - allocatedBefore;
            phases.GcCount += GC.CollectionCount(0) - gcBefore;
            phases.GcPauseMs += (GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds;
            totals.Add(Ms(tEnd - t0));
        }

        phases.Median = BenchmarkProcesses.Median(totals);
        phases.PerStep();
        profiler.Enabled = false;
        return phases;
    }

    private static List<(string Kind, double Forward, double Backward)> ContractionTimes(SphereUNet model, int runs)
    {
        List<(string, double, double)> result = [];
        foreach (DiscoConvLayer layer in model.modules().OfType<DiscoConvLayer>())
        {
            bool transpose = layer is DiscoConvTransposeS2;
            SphereGrid fine = transpose ? layer.OutGrid : layer.InGrid;
            SphereGrid coarse = transpose ? layer.InGrid : layer.OutGrid;
            PsiSpec spec = new(coarse, fine, layer.Basis, layer.ThetaCutoffRadians, layer.Options.Normalization, transpose);
            using IDiscoContraction contraction = DiscoContraction.Create(PsiCache.Shared.GetOrBuild(spec));
            int k = layer.Basis.KernelSize;

            // The transposed layer mixes first and contracts Cout·K channels (adjoint); the others contract Cin channels.
            using Tensor x = transpose
                ? randn([1, layer.OutChannels, k, layer.InGrid.NLat, layer.InGrid.NLon]).requires_grad_(true)
                : randn([1, layer.InChannels, layer.InGrid.NLat, layer.InGrid.NLon]).requires_grad_(true);
            Func<Tensor, Tensor> op = transpose ? contraction.ContractAdjoint : contraction.Contract;
            List<double> forward = [], backward = [];
            for (int i = 0; i < runs + 2; i++)
            {
                using DisposeScope scope = NewDisposeScope();
                long t0 = Stopwatch.GetTimestamp();
                Tensor y = op(x);
                long t1 = Stopwatch.GetTimestamp();
                y.backward([ones_like(y)]);
                long t2 = Stopwatch.GetTimestamp();
                x.grad?.zero_();
                if (i >= 2)
                {
                    forward.Add(Ms(t1 - t0));
                    backward.Add(Ms(t2 - t1));
                }
            }

            string kind = transpose ? "up (transposed, adjoint contraction)" : layer.InGrid.NLat != layer.OutGrid.NLat ? "down" : "same grid (incl. stem)";
            result.Add((kind, BenchmarkProcesses.Median(forward), BenchmarkProcesses.Median(backward)));
        }

        return result;
    }

    private sealed class Phases
    {
        public int Steps { get; set; }

        public double Batch { get; set; }

        public double ZeroGrad { get; set; }

        public double Forward { get; set; }

        public double Loss { get; set; }

        public double Backward { get; set; }

        public double Clip { get; set; }

        public double Optimizer { get; set; }

        public double Dispose { get; set; }

        public long AllocatedBytes { get; set; }

        public int GcCount { get; set; }

        public double GcPauseMs { get; set; }

        public double Median { get; set; }

        public double Total => Batch + ZeroGrad + Forward + Loss + Backward + Clip + Optimizer + Dispose;

        /// <summary>Turns the phase sums into means per step.</summary>
        public void PerStep()
        {
            double n = Math.Max(1, Steps);
            (Batch, ZeroGrad, Forward, Loss, Backward, Clip, Optimizer, Dispose) =
                (Batch / n, ZeroGrad / n, Forward / n, Loss / n, Backward / n, Clip / n, Optimizer / n, Dispose / n);
        }
    }
}

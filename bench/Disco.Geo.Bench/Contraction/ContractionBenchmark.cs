using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Grids;
using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Psi;
using TorchSharp;

namespace Disco.Geo.Bench.Contraction;

/// <summary>
/// The DISCO contraction alone (no weight mixing), both backends, forward and forward+backward, on the four
/// configurations of issue 2 §7, plus the 2049×4096 → 1025×2048 scale check. Each (configuration, backend) runs in
/// its own child process: the malloc tuning keeps freed memory in the process, so only a fresh process gives a
/// peak RSS that belongs to one measurement.
/// </summary>
internal sealed class ContractionBenchmark : IBenchmark
{
    private const string ChildFlag = "--child";
    private const string ResultPrefix = "CONTRACTION-RESULT";

    private static readonly Case[] Cases =
    [
        new(181, 360, 91, 180, 64, IsScale: false),
        new(181, 360, 181, 360, 64, IsScale: false),
        new(361, 720, 181, 360, 64, IsScale: false),
        new(361, 720, 361, 720, 64, IsScale: false),
        new(2049, 4096, 1025, 2048, 16, IsScale: true),
    ];

    public string Name => "disco-contraction";

    public string Description => "DISCO contraction alone: CpuKernel vs TensorOps, fwd and fwd+bwd, float32, B=1, C=64, K=4 [--quick] [--no-scale] [--repeat N]";

    public async Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        int warmup = context.Quick ? 1 : 2;
        int runs = context.Quick ? 3 : 7;
        int childAt = context.Arguments.ToList().IndexOf(ChildFlag);
        if (childAt >= 0)
        {
            int index = int.Parse(context.Arguments[childAt + 1], CultureInfo.InvariantCulture);
            ContractionBackend backend = Enum.Parse<ContractionBackend>(context.Arguments[childAt + 2]);
            Console.WriteLine(MeasureInThisProcess(Cases[index], backend, warmup, runs));
            return 0;
        }

        bool scale = !context.Quick && !context.Arguments.Contains("--no-scale");
        int repeat = int.Parse(context.Option("repeat", context.Quick ? "1" : "3"), CultureInfo.InvariantCulture);
        string loadBefore = LoadAverage();
        StringBuilder table = new();
        table.AppendLine("| grid (equiangular) | C | psi entries (non-zero) | psi build | backend | fwd ms | fwd GFLOP/s | fwd+bwd ms | fwd+bwd / fwd | peak RSS |");
        table.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        for (int index = 0; index < Cases.Length; index++)
        {
            Case c = Cases[index];
            if (c.IsScale && !scale)
            {
                continue;
            }

            foreach (ContractionBackend backend in new[] { ContractionBackend.CpuKernel, ContractionBackend.TensorOps })
            {
                // Other work on a shared machine only ever slows a run down: keep the fastest of several processes.
                double build = double.MaxValue, forward = double.MaxValue, both = double.MaxValue, peak = 0;
                long stored = 0, nonZero = 0;
                for (int attempt = 0; attempt < (c.IsScale ? 1 : repeat); attempt++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    string[] line = (await RunChildAsync(context, index, backend, cancellationToken)).Split(' ');
                    build = Math.Min(build, Parse(line[1]));
                    forward = Math.Min(forward, Parse(line[2]));
                    both = Math.Min(both, Parse(line[3]));
                    peak = Math.Max(peak, Parse(line[4]));
                    stored = long.Parse(line[5], CultureInfo.InvariantCulture);
                    nonZero = long.Parse(line[6], CultureInfo.InvariantCulture);
                }

                double gflops = 2.0 * nonZero * c.NlonOut * c.Channels / forward / 1e6;
                Console.WriteLine($"{c.Grid} {backend}: fwd {forward:F1} ms, fwd+bwd {both:F1} ms, peak {peak:F2} GiB");
                table.AppendLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {c.Grid} | {c.Channels} | {stored:N0} ({nonZero:N0}) | {build:F2} s | {backend} | {forward:F1} | {gflops:F1} | {both:F1} | {both / forward:F1} | {peak:F2} GiB |"));
            }
        }

        StringBuilder body = new();
        body.AppendLine("The contraction alone (`IDiscoContraction.Contract`, no weight mixing): float32, B = 1, K = 4 (piecewise linear (3,3), nodal),");
        body.AppendLine("θc = π/(nlat_out − 1), psi from `PsiBuilder` (same stored-entry counts as torch-harmonics: 14,329 / 8,976 / 30,595 / 18,784).");
        body.AppendLine($"Median of {runs} runs after {warmup}–8 warm-up runs (up to 5 s: the first calls of a process page-fault fresh output memory) in each of");
        body.AppendLine($"{repeat} fresh processes; the table keeps the fastest process (one process, 3 runs after 1–8 warm-up runs,");
        body.AppendLine("for the 2049×4096 row). fwd+bwd = `Contract`, then `autograd.grad`");
        body.AppendLine("with a random cotangent (the backward is `ContractAdjoint`). GFLOP/s-equivalent = 2 · non-zero psi entries · nlon_out · C / fwd time.");
        body.AppendLine("Each row runs in a fresh process; peak RSS is that process's high-water mark (runtime, libtorch, psi, tensors, autograd).");
        body.AppendLine("It includes the effect of the process-wide malloc tuning (src/Shared/MallocTuning.cs): with it, allocating and freeing ~0.5 GB");
        body.AppendLine("tensors repeatedly grows RSS (+0.5 GB per cycle even for plain `torch.ones(...).Dispose()`), so the 2049×4096 row overstates");
        body.AppendLine("the contraction's own footprint (see the contraction report for the figures without the tuning).");
        body.AppendLine(string.Create(
            CultureInfo.InvariantCulture,
            $"CPU kernel SIMD: {CpuDiscoKernel.VectorWidthName} ({CpuDiscoKernel.VectorCount<float>()} floats; AVX-512 {(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "available" : "not available on this CPU")}); libtorch threads: {torch.get_num_threads()}; .NET workers: {Environment.ProcessorCount}."));
        body.AppendLine("No torch-harmonics times are quoted here: they depend on the CPU and its load, so they come only from the torch-harmonics");
        body.AppendLine("bench kit, which runs its compiled kernels and this benchmark's `--child i CpuKernel` rows alternately on the same machine");
        body.AppendLine("(`compare.sh <repo> --rounds 3 --model`; see bench/RESULTS.md).");
        body.AppendLine();
        body.AppendLine($"**Preliminary:** measured on a 2-core machine shared with other engineers' builds and tests (load average {loadBefore} before, {LoadAverage()} after");
        body.AppendLine("the run); single runs vary by 2× and more under that load.");
        body.AppendLine();
        body.Append(table);
        context.WriteSection("DISCO contraction (CPU kernel vs tensor ops)", body.ToString());
        return 0;
    }

    /// <summary>"RESULT buildSeconds fwdMs fwdBwdMs peakGiB stored nonZero", measured in this process.</summary>
    private static string MeasureInThisProcess(Case c, ContractionBackend backend, int warmup, int runs)
    {
        if (c.IsScale)
        {
            (warmup, runs) = (1, 3);
        }

        Stopwatch build = Stopwatch.StartNew();
        PsiTensor psi = PsiBuilder.Build(new PsiSpec(
            SphereGrid.Create(GridKind.Equiangular, c.NlatOut, c.NlonOut),
            SphereGrid.Create(GridKind.Equiangular, c.NlatIn, c.NlonIn),
            FilterBasis.Create(BasisType.PiecewiseLinear, 3, 3),
            Math.PI / (c.NlatOut - 1),
            BasisNormalization.Nodal,
            Transpose: false));
        build.Stop();
        long nonZero = psi.Values.LongCount(v => v != 0);

        torch.manual_seed(1234);
        using IDiscoContraction contraction = DiscoContraction.Create(psi, backend);
        using torch.Tensor x = torch.randn([1, c.Channels, psi.NLatIn, psi.NLonIn], dtype: torch.ScalarType.Float32);
        using torch.Tensor cotangent = torch.randn([1, c.Channels, psi.KernelSize, psi.NLatOut, psi.NLonOut], dtype: torch.ScalarType.Float32);
        using torch.Tensor leaf = x.detach().requires_grad_(true);
        double forward = Median(warmup, runs, () =>
        {
            using DisposeScope scope = torch.NewDisposeScope();
            using (torch.no_grad())
            {
                contraction.Contract(x);
            }
        });
        double both = Median(warmup, runs, () =>
        {
            using DisposeScope scope = torch.NewDisposeScope();
            torch.Tensor z = contraction.Contract(leaf);
            torch.autograd.grad([z], [leaf], [cotangent], false, false, false);
        });
        double peak = BenchmarkContext.PeakRssBytes() / (1024.0 * 1024 * 1024);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{ResultPrefix} {build.Elapsed.TotalSeconds:R} {forward:R} {both:R} {peak:R} {psi.StoredEntries} {nonZero}");
    }

    private async Task<string> RunChildAsync(BenchmarkContext context, int index, ContractionBackend backend, CancellationToken cancellationToken)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this process's executable.");
        ProcessStartInfo start = new(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ContractionBenchmark).Assembly.Location);
        }

        foreach (string argument in new[] { Name, ChildFlag, index.ToString(CultureInfo.InvariantCulture), backend.ToString() }.Concat(context.Quick ? ["--quick"] : []))
        {
            start.ArgumentList.Add(argument);
        }

        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        string output = await child.StandardOutput.ReadToEndAsync(cancellationToken);
        await child.WaitForExitAsync(cancellationToken);
        string? result = output.Split('\n').FirstOrDefault(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal));
        if (child.ExitCode != 0 || result is null)
        {
            throw new InvalidOperationException($"Measurement {index} ({backend}) failed with exit code {child.ExitCode}:\n{output}");
        }

        return result;
    }

    private static double Median(int warmup, int runs, Action action)
    {
        // The first calls of a process page-fault their fresh output buffers (measured 4× the steady CPU time at
        // 361×720) until the allocator's heap has grown enough to recycle them, as it does in a training loop. So warm
        // up for at least `warmup` calls and up to 8 calls or 5 seconds.
        Stopwatch warming = Stopwatch.StartNew();
        for (int n = 0; n < Math.Max(warmup, 8) && (n < warmup || warming.Elapsed < TimeSpan.FromSeconds(5)); n++)
        {
            action();
        }

        double[] times = new double[runs];
        for (int n = 0; n < runs; n++)
        {
            Stopwatch watch = Stopwatch.StartNew();
            action();
            times[n] = watch.Elapsed.TotalMilliseconds;
        }

        Array.Sort(times);
        return times[runs / 2];
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static double Parse(string value) => double.Parse(value, CultureInfo.InvariantCulture);

    private sealed record Case(int NlatIn, int NlonIn, int NlatOut, int NlonOut, int Channels, bool IsScale)
    {
        public string Grid => $"{NlatIn}×{NlonIn} → {NlatOut}×{NlonOut}";
    }
}

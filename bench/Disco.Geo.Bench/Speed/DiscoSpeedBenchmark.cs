using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Grids;
using Disco.Geo.Sphere.Convolution;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Psi;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Bench.Speed;

/// <summary>
/// Issue 2 §7: the whole DISCO layer (psi contraction + weight mixing + bias), float32, batch 1, 64→64 channels,
/// piecewise linear (3, 3), θc = π/(nlat_out − 1) passed explicitly so the work equals torch-harmonics' default
/// layer; forward, forward+backward, the same-size Conv2d for scale, psi precompute, peak memory; then the
/// 2049×4096 → 1025×2048 16→16 scale run. Every configuration runs in a fresh child process so its peak RSS is its own.
/// </summary>
internal sealed class DiscoSpeedBenchmark : IBenchmark
{
    private const string ChildFlag = "--child";
    private const string ResultPrefix = "SPEED-RESULT";

    private static readonly Row[] Rows =
    [
        new(181, 360, 91, 180, 64, 14_329, IsScale: false),
        new(181, 360, 181, 360, 64, 8_976, IsScale: false),
        new(361, 720, 181, 360, 64, 30_595, IsScale: false),
        new(361, 720, 361, 720, 64, 18_784, IsScale: false),
        new(2049, 4096, 1025, 2048, 16, 0, IsScale: true),
    ];

    public string Name => "disco-speed";

    public string Description => "DISCO layer speed and memory, and Conv2d for scale (issue 2 §7; torch-harmonics side by side only via the bench kit) [--quick] [--no-scale]";

    public async Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        int warmup = context.Quick ? 1 : 3;
        int runs = context.Quick ? 3 : 9;
        int childAt = context.Arguments.ToList().IndexOf(ChildFlag);
        if (childAt >= 0)
        {
            Row row = Rows[int.Parse(context.Arguments[childAt + 1], CultureInfo.InvariantCulture)];
            _trace = context.Arguments.Contains("--trace");
            Console.WriteLine(ResultPrefix + " " + Measure(row, warmup, runs));
            return 0;
        }

        CultureInfo c = CultureInfo.InvariantCulture;
        bool scale = !context.Quick && !context.Arguments.Contains("--no-scale");
        StringBuilder table = new();
        table.AppendLine("| grid (equiangular) | psi entries | psi build | fwd ms | fwd+bwd ms (× fwd) | Conv2d fwd / fwd+bwd ms | DISCO ÷ Conv2d fwd | peak RSS |");
        table.AppendLine("|---|---|---|---|---|---|---|---|");
        string scaleLine = "";
        for (int index = 0; index < Rows.Length; index++)
        {
            Row row = Rows[index];
            bool isScale = row.IsScale;
            if (isScale && !scale)
            {
                continue;
            }

            Console.WriteLine($"{row.NlatIn}x{row.NlonIn} -> {row.NlatOut}x{row.NlonOut} ...");
            Dictionary<string, double> m = await RunChildAsync(context, index, cancellationToken);
            if (isScale)
            {
                scaleLine = string.Create(c, $"Scale: equiangular {row.NlatIn}×{row.NlonIn} → {row.NlatOut}×{row.NlonOut}, {row.Channels}→{row.Channels} channels, θc = π/{row.NlatOut - 1}: psi {m["entries"]:N0} entries built in {m["psi_s"]:F2} s; forward {m["fwd_ms"]:F0} ms; forward+backward {m["fwdbwd_ms"]:F0} ms; peak RSS {m["rss_gib"]:F2} GiB (limit 8 GB).");
                continue;
            }

            string entries = m["entries"] == row.ExpectedEntries ? $"{m["entries"]:N0}" : $"{m["entries"]:N0} (expected {row.ExpectedEntries:N0})";
            table.AppendLine(c, $"| {row.NlatIn}×{row.NlonIn} → {row.NlatOut}×{row.NlonOut} | {entries} | {m["psi_s"] * 1000:F0} ms | **{m["fwd_ms"]:F1}** | {m["fwdbwd_ms"]:F1} ({m["fwdbwd_ms"] / m["fwd_ms"]:F1}×) | {m["conv_fwd_ms"]:F1} / {m["conv_fwdbwd_ms"]:F1} | {m["fwd_ms"] / m["conv_fwd_ms"]:F1}× | {m["rss_gib"]:F2} GiB |");
        }

        StringBuilder body = new();
        body.AppendLine("Float32, batch 1, 64→64 channels, piecewise linear (3, 3) (K = 4), nodal normalisation, θc = π/(nlat_out − 1) (torch-harmonics' default, passed explicitly), CPU kernel backend, 2 threads. Median of " + runs + " runs after " + warmup + " warm-up runs; forward under no_grad, forward+backward computes gradients for input, weight and bias. Times depend on the CPU and its load, so this report quotes no torch-harmonics figures: they come only from the torch-harmonics bench kit, which runs its compiled CPU kernels and this benchmark's `--child i` rows alternately on the same machine (`compare.sh <repo> --rounds 3 --model`; see bench/RESULTS.md). Conv2d: a 3×3 TorchSharp Conv2d, 64→64, stride 1 or 2 to the same output size. Each row runs in a fresh process; peak RSS is that process's VmHWM.\n");
        body.Append(table);
        if (scaleLine.Length > 0)
        {
            body.AppendLine().AppendLine(scaleLine);
        }

        context.WriteSection("DISCO layer speed and memory (issue 2 §7)", body.ToString());
        return 0;
    }

    private static async Task<Dictionary<string, double>> RunChildAsync(BenchmarkContext context, int index, CancellationToken cancellationToken)
    {
        ProcessStartInfo start = context.ChildProcess(ChildFlag, index.ToString(CultureInfo.InvariantCulture));
        using Process child = Process.Start(start)!;
        string output = await child.StandardOutput.ReadToEndAsync(cancellationToken);
        await child.WaitForExitAsync(cancellationToken);
        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"benchmark child {index} failed (exit {child.ExitCode}):\n{output}");
        }

        return line[ResultPrefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('='))
            .ToDictionary(kv => kv[0], kv => double.Parse(kv[1], CultureInfo.InvariantCulture));
    }

    private static bool _trace;

    private static string Measure(Row row, int warmup, int runs)
    {
        torch.manual_seed(0);
        SphereGrid inGrid = SphereGrid.Create(GridKind.Equiangular, row.NlatIn, row.NlonIn);
        SphereGrid outGrid = SphereGrid.Create(GridKind.Equiangular, row.NlatOut, row.NlonOut);
        FilterBasis basis = FilterBasis.Create(BasisType.PiecewiseLinear, 3, 3);
        double cutoff = ThetaCutoff.TorchHarmonicsDefault(outGrid);
        PsiSpec spec = new(outGrid, inGrid, basis, cutoff, BasisNormalization.Nodal, Transpose: false);

        // Psi precompute on its own, uncached (the layer below takes it from the in-process cache).
        PsiBuilder.Build(spec);
        double psiSeconds = Median(Enumerable.Range(0, 3).Select(_ =>
        {
            Stopwatch watch = Stopwatch.StartNew();
            PsiBuilder.Build(spec);
            return watch.Elapsed.TotalSeconds;
        }));

        using DiscoConvS2 layer = new("disco", row.Channels, row.Channels, inGrid, outGrid, new DiscoConvOptions { KernelShape = [3, 3], ThetaCutoff = cutoff });
        using Tensor x = randn(1, row.Channels, row.NlatIn, row.NlonIn);
        double forward = Time("fwd", warmup, runs, () =>
        {
            using IDisposable noGrad = no_grad();
            using Tensor y = layer.forward(x);
            _ = y.sum().item<float>();
        });
        double forwardBackward = Time("fwdbwd", warmup, runs, () =>
        {
            using DisposeScope scope = NewDisposeScope();
            layer.zero_grad();
            Tensor input = x.detach().requires_grad_(true);
            layer.forward(input).sum().backward();
            _ = input.grad!.sum().item<float>();
        });

        int stride = row.NlonIn / row.NlonOut;
        using nn.Module<Tensor, Tensor> conv = nn.Conv2d(row.Channels, row.Channels, 3, stride: stride, padding: 1);
        double convForward = Time("conv_fwd", warmup, runs, () =>
        {
            using IDisposable noGrad = no_grad();
            using Tensor y = conv.forward(x);
            _ = y.sum().item<float>();
        });
        double convForwardBackward = Time("conv_fwdbwd", warmup, runs, () =>
        {
            using DisposeScope scope = NewDisposeScope();
            conv.zero_grad();
            Tensor input = x.detach().requires_grad_(true);
            conv.forward(input).sum().backward();
            _ = input.grad!.sum().item<float>();
        });

        double rssGiB = BenchmarkContext.PeakRssBytes() / (1024.0 * 1024 * 1024);
        return string.Create(CultureInfo.InvariantCulture,
            $"entries={layer.PsiEntries} psi_s={psiSeconds:R} fwd_ms={forward:R} fwdbwd_ms={forwardBackward:R} conv_fwd_ms={convForward:R} conv_fwdbwd_ms={convForwardBackward:R} rss_gib={rssGiB:R}");
    }

    private static double Time(string label, int warmup, int runs, Action action)
    {
        List<double> times = [];
        for (int i = 0; i < warmup + runs; i++)
        {
            ProcessUsage.Sample before = ProcessUsage.Now();
            Stopwatch watch = Stopwatch.StartNew();
            action();
            double ms = watch.Elapsed.TotalMilliseconds;
            if (_trace)
            {
                // --trace: every call with its CPU time and faults, to see where a slow call's time went (not read by the kit).
                ProcessUsage.Sample used = ProcessUsage.Now() - before;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"TRACE {label} {i}{(i < warmup ? "w" : "")} wall={ms:F1} user={used.UserMs:F1} sys={used.SystemMs:F1} minflt={used.MinorFaults} vcsw={used.VoluntarySwitches} ivcsw={used.InvoluntarySwitches}"));
            }

            if (i >= warmup)
            {
                times.Add(ms);
            }
        }

        return Median(times);
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>A configuration; <paramref name="ExpectedEntries"/> is the stored psi entry count torch-harmonics builds for it (a structural check, 0 = unchecked).</summary>
    private sealed record Row(int NlatIn, int NlonIn, int NlatOut, int NlonOut, int Channels, int ExpectedEntries, bool IsScale);
}

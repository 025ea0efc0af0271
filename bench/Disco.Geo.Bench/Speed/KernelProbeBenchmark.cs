using System.Diagnostics;
using System.Globalization;
using Disco.Geo.Grids;
using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Psi;
using TorchSharp;

namespace Disco.Geo.Bench.Speed;

/// <summary>
/// The parts of one DISCO layer on the CPU kernel, each timed on its own in this process (wall and process CPU time,
/// page faults): the contraction alone, the fused forward with and without keeping z, and forward (keeping z) +
/// backward, the adjoint contraction, the weight gradient alone (wgrad), the input gradient alone (dx), and the forward keeping
/// z with and without fused blocks (blocksz, noblocksz). For finding where a layer's time goes; prints to the console and writes no results file.
/// Usage: disco-kernel-probe [--config 0..3] [--runs N] [--parts a,b,…] [--channels C (in = out, default 64)] [--shape 3,3]
/// </summary>
internal sealed class KernelProbeBenchmark : IBenchmark
{
    private static readonly (int NlatIn, int NlonIn, int NlatOut, int NlonOut)[] Configs =
    [
        (181, 360, 91, 180),
        (181, 360, 181, 360),
        (361, 720, 181, 360),
        (361, 720, 361, 720),
    ];

    public string Name => "disco-kernel-probe";

    public string Description => "Parts of one DISCO layer on the CPU kernel timed alone (wall, CPU, faults) [--config i] [--runs N] [--parts list]";

    public Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        int config = int.Parse(context.Option("config", "2"), CultureInfo.InvariantCulture);
        int runs = int.Parse(context.Option("runs", "7"), CultureInfo.InvariantCulture);
        string[] parts = context.Option("parts", "contract,fused,fusedz,blocks,noblocks,backward").Split(',');
        int channels = int.Parse(context.Option("channels", "64"), CultureInfo.InvariantCulture);
        int[] shape = context.Option("shape", "3,3").Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray();
        (int nlatIn, int nlonIn, int nlatOut, int nlonOut) = Configs[config];
        SphereGrid inGrid = SphereGrid.Create(GridKind.Equiangular, nlatIn, nlonIn);
        SphereGrid outGrid = SphereGrid.Create(GridKind.Equiangular, nlatOut, nlonOut);
        PsiTensor psi = PsiBuilder.Build(new PsiSpec(
            outGrid, inGrid, FilterBasis.Create(BasisType.PiecewiseLinear, shape), ThetaCutoff.TorchHarmonicsDefault(outGrid), BasisNormalization.Nodal, Transpose: false));
        CpuDiscoContraction kernel = new(psi);
        CpuDiscoContraction blocked = new(psi) { UseFusedBlocks = true };
        CpuDiscoContraction unblocked = new(psi) { UseFusedBlocks = false };
        torch.manual_seed(0);
        using torch.Tensor x = torch.randn(1, channels, nlatIn, nlonIn);
        using torch.Tensor w = torch.randn(channels, channels, psi.KernelSize);
        using torch.Tensor dy = torch.randn(1, channels, nlatOut, nlonOut);
        using torch.Tensor z = kernel.ContractNoGrad(x);
        // The z the weight gradient reads, kept only when that part runs (it is the size of the K-expanded contraction).
        KeptContraction? keptForWeights = null;
        Console.WriteLine($"config {config}: {nlatIn}x{nlonIn} -> {nlatOut}x{nlonOut}, {channels} -> {channels} channels, K = {psi.KernelSize}, non-zero psi {kernel.KernelEntries}, fused blocks {kernel.UseFusedBlocks}, {Environment.ProcessorCount} workers, {CpuDiscoKernel.VectorWidthName}");
        using IDisposable noGrad = torch.no_grad();
        foreach (string part in parts)
        {
            Action action = part switch
            {
                "contract" => () => kernel.ContractNoGrad(x).Dispose(),
                "fused" => () => kernel.ContractAndMixNoGrad(x, w).Dispose(),
                "fusedz" => () =>
                {
                    (torch.Tensor y, KeptContraction kept) = kernel.ContractAndMixKeeping(x, w);
                    y.Dispose();
                    kept.Dispose();
                }
                ,
                "blocks" => () => blocked.ContractAndMixNoGrad(x, w).Dispose(),
                "blocksz" => () => KeepingForward(blocked),
                "noblocksz" => () => KeepingForward(unblocked),
                "noblocks" => () => unblocked.ContractAndMixNoGrad(x, w).Dispose(),
                "backward" => () =>
                {
                    (torch.Tensor y, KeptContraction kept) = kernel.ContractAndMixKeeping(x, w);
                    y.Dispose();
                    (torch.Tensor dx, torch.Tensor dw) = kernel.BackwardNoGrad(x, w, dy, kept);
                    dx.Dispose();
                    dw.Dispose();
                }
                ,
                "dx" => () => kernel.InputGradientNoGrad(w, dy).Dispose(),
                "adjoint" => () => kernel.ContractAdjointNoGrad(z).Dispose(),
                "wgrad" => () =>
                {
                    if (keptForWeights is null)
                    {
                        (torch.Tensor y, keptForWeights) = kernel.ContractAndMixKeeping(x, w);
                        y.Dispose();
                    }

                    kernel.WeightGradientNoGrad(dy, keptForWeights, channels).Dispose();
                }
                ,
                _ => throw new ArgumentException($"unknown part {part}"),
            };
            action();
            List<(double Wall, double Cpu, long Faults)> samples = [];
            for (int r = 0; r < runs; r++)
            {
                ProcessUsage.Sample before = ProcessUsage.Now();
                Stopwatch watch = Stopwatch.StartNew();
                action();
                double wall = watch.Elapsed.TotalMilliseconds;
                ProcessUsage.Sample used = ProcessUsage.Now() - before;
                samples.Add((wall, used.UserMs + used.SystemMs, used.MinorFaults));
            }

            double[] walls = samples.Select(s => s.Wall).Order().ToArray();
            double[] cpus = samples.Select(s => s.Cpu).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{part,-9} wall median {walls[walls.Length / 2],7:F2} min {walls[0],7:F2} ms   cpu median {cpus[cpus.Length / 2],7:F2} min {cpus[0],7:F2} ms   faults {samples.Sum(s => s.Faults) / runs}"));
        }

        keptForWeights?.Dispose();
        return Task.FromResult(0);

        void KeepingForward(CpuDiscoContraction contraction)
        {
            (torch.Tensor y, KeptContraction kept) = contraction.ContractAndMixKeeping(x, w);
            y.Dispose();
            kept.Dispose();
        }
    }
}

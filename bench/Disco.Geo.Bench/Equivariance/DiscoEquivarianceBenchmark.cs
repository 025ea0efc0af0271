using System.Globalization;
using System.Text;
using Disco.Geo.Grids;
using Disco.Geo.Sphere.Convolution;
using Disco.Geo.Sphere.Equivariance;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Psi;
using Disco.Geo.Sphere.Rotations;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Bench.Equivariance;

/// <summary>The equivariance report of issue 2 §6: four measurements, from exact to approximate.</summary>
internal sealed class DiscoEquivarianceBenchmark : IBenchmark
{
    private static readonly (string Name, BasisType Type, int[] Shape)[] Bases =
    [
        ("piecewise linear 3 (isotropic)", BasisType.PiecewiseLinear, [3]),
        ("piecewise linear 5 (isotropic)", BasisType.PiecewiseLinear, [5]),
        ("piecewise linear (3, 3)", BasisType.PiecewiseLinear, [3, 3]),
        ("piecewise linear (4, 3)", BasisType.PiecewiseLinear, [4, 3]),
        ("harmonic (2, 2)", BasisType.Harmonic, [2, 2]),
        ("zernike 3", BasisType.Zernike, [3]),
    ];

    public string Name => "disco-equivariance";

    public string Description => "DISCO equivariance: z-rolls, N-S flip, pole/equator bump, exact SO(3) rotations vs planar Conv2d";

    public Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        torch.manual_seed(1);
        StringBuilder report = new();
        CultureInfo c = CultureInfo.InvariantCulture;

        // 1 and 2: exact symmetries of the grid, per basis, float64, 65×128 equiangular (column 0 at longitude 0).
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 65, 128, lonOriginDegrees: 0);
        SphereGrid coarse = SphereGrid.Create(GridKind.Equiangular, 33, 64, lonOriginDegrees: 0);
        report.AppendLine("### 1–2. Rotations the grid represents exactly (float64, 65×128 equiangular, 4→4 channels, random weights)\n");
        report.AppendLine("| basis | z-roll, same grid: max abs error | z-roll, 65×128 → 33×64: max abs error | N–S flip (R_x(π)): max rel error |");
        report.AppendLine("|---|---|---|---|");
        foreach ((string name, BasisType type, int[] shape) in Bases)
        {
            cancellationToken.ThrowIfCancellationRequested();
            DiscoConvOptions options = new() { BasisType = type, KernelShape = shape };
            using DiscoConvS2 same = new("same", 4, 4, grid, grid, options);
            using DiscoConvS2 down = new("down", 4, 4, grid, coarse, options);
            same.to(float64);
            down.to(float64);
            using Tensor x = randn([2, 4, 65, 128], dtype: float64);
            double rollSame = Enumerable.Range(1, 5).Max(k => EquivarianceProbes.ZRollError(same, x, 7 * k));
            double rollDown = Enumerable.Range(1, 5).Max(k => EquivarianceProbes.ZRollError(down, x, 3 * k));
            double flip = EquivarianceProbes.NorthSouthFlipError(same, x);
            report.AppendLine(c, $"| {name} | {rollSame:G3} | {rollDown:G3} | {flip:E2} |");
        }

        report.AppendLine("\nWhole-step rotations about the pole commute bit-for-bit (psi is built once for output longitude 0 and shifted). The N–S flip is exact to rounding for isotropic bases; anisotropic bases fix a local frame (φ = 0 points south), so they are equivariant only to rotations about the pole — as in the DISCO paper.\n");

        // 3: pole versus equator bump.
        report.AppendLine("### 3. Bump at the pole vs the same bump on the equator (piecewise linear 3, geometric, θc = π/8, vMF width 0.15 rad)\n");
        report.AppendLine("| grid | ours: max per basis | ours: RMS of summed responses | torch-harmonics (issue 2 §6) | ours ÷ torch-harmonics (RMS) | RMS ratio to previous |");
        report.AppendLine("|---|---|---|---|---|---|");
        double previous = double.NaN;
        foreach ((int n, double reference) in new[] { (33, 4.2e-3), (65, 6.1e-4), (129, 1.3e-4) })
        {
            BumpDifference error = EquivarianceProbes.PoleEquatorBump(n, FilterBasis.Create(BasisType.PiecewiseLinear, 3), Math.PI / 8, BasisNormalization.Geometric, 0.15);
            string ratio = double.IsNaN(previous) ? "" : (previous / error.RmsOfSum).ToString("F1", c);
            report.AppendLine(c, $"| {n}×{2 * (n - 1)} | {error.MaxPerBasis:E2} | {error.RmsOfSum:E2} | {reference:0.0e0} | {error.RmsOfSum / reference:F2} | {ratio} |");
            previous = error.RmsOfSum;
        }

        report.AppendLine("\nProtocol: κ = 1/0.15², the K basis responses read over a quarter turn down the meridian from the pole, and southwards and eastwards from the equator bump; each reading is the worse of the two directions. \"Max per basis\": max |difference| / max |pole response| over all K responses, a pointwise worst case; its largest difference sits at the bump centre, where the quadrature of the cone-shaped centre hat on the pole rings differs from that on the 2-D lattice at the equator. \"RMS of summed responses\": the root-mean-square difference of the summed responses (a layer with unit weights) over the profile, divided by their maximum. The issue does not record torch-harmonics' metric; its values match the profile-averaged reading in magnitude and rate (ours 0.80–1.07× of them: within 20 % at 65×128 and 129×256, 20.1 % low at 33×64), not the pointwise one (about 10–20×). We chose the RMS reading after seeing the issue's numbers, among a few natural metrics, so read this as agreement in kind, not as an independent reproduction. Our psi equals torch-harmonics' bit for bit in sparsity and to 1e-12 in value (all ten reference cases, pole rows included), so torch-harmonics gives these same numbers under either metric.\n");

        // 4: arbitrary rotations, no interpolation.
        report.AppendLine("### 4. Random SO(3) rotations without interpolation error (piecewise linear 3, geometric, θc = π/8)\n");
        report.AppendLine("Input: 8 random von Mises–Fisher bumps of width 0.3 rad, rotated analytically. DISCO: ‖conv(f_R) − conv(f)∘Rᵀ‖/‖conv(f_R)‖ with conv(f) evaluated exactly at the rotated points (psi built for scattered output points), quadrature-weighted L2 over all nodes and basis responses, mean (max) over 5 rotations. Planar: a 3×3 Conv2d with zero-mean random weights on the equirectangular image (circular in longitude), compared after bilinear resampling of its output; the interpolation floor is that resampling alone.\n");
        report.AppendLine("| grid | DISCO exact | planar Conv2d (resampled) | interpolation floor |");
        report.AppendLine("|---|---|---|---|");
        Func<double, double, double, double> f = EquivarianceProbes.RandomBumps(seed: 5, count: 8, width: 0.3);
        Func<Tensor, Tensor> planar = EquivarianceProbes.PlanarConvolution(3);
        Random random = new(1);
        Rotation[] rotations = Enumerable.Range(0, 5).Select(_ => Rotation.Random(random)).ToArray();
        // 257 would need psi at 131,584 scattered output points, beyond the scattered-point grid limit of 65,536.
        int[] sizes = context.Quick ? [33, 65] : [33, 65, 129];
        foreach (int n in sizes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SphereGrid g = SphereGrid.Create(GridKind.Equiangular, n, 2 * (n - 1));
            double[] disco = rotations.Select(r => EquivarianceProbes.ExactRotationError(g, FilterBasis.Create(BasisType.PiecewiseLinear, 3), Math.PI / 8, r, f)).ToArray();
            double[] plane = rotations.Select(r => EquivarianceProbes.ResampledRotationError(g, planar, r, f)).ToArray();
            double[] floor = rotations.Select(r => EquivarianceProbes.InterpolationFloor(g, r, f)).ToArray();
            report.AppendLine(c, $"| {n}×{2 * (n - 1)} | {disco.Average():E2} ({disco.Max():E2}) | {plane.Average():E2} ({plane.Max():E2}) | {floor.Average():E2} |");
            Console.WriteLine($"{n}: disco {disco.Average():E2}, planar {plane.Average():E2}");
        }

        report.AppendLine("\nDISCO's error falls about 4× per halving of the grid step (quadrature error, O(h²)); the planar filter's stays O(1) at every resolution because its 3×3 stencil differentiates along the image axes, which turn with the rotation and shrink in longitude towards the poles.");
        context.WriteSection("DISCO equivariance (issue 2 §6)", report.ToString());
        return Task.FromResult(0);
    }
}

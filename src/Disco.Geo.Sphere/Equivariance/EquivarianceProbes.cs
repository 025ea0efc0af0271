using Disco.Geo.Grids;
using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.Convolution;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Psi;
using Disco.Geo.Sphere.Rotations;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Equivariance;

/// <summary>
/// Measurements of how far a DISCO convolution is from rotation equivariance, free of interpolation error where
/// possible: whole-step rotations about the pole (exact by construction), the rotation by π about the x axis
/// (a north–south flip, exact on grids symmetric about the equator), a bump at the pole against the same bump on the
/// equator, and arbitrary SO(3) rotations of analytic inputs with the output evaluated exactly at the rotated points.
/// Used by the tests and by the equivariance benchmark.
/// </summary>
internal static class EquivarianceProbes
{
    /// <summary>A von Mises–Fisher bump exp(κ(μ·v − 1)) of angular width σ (κ = 1/σ²) centred at μ.</summary>
    public static double Bump((double X, double Y, double Z) centre, double width, double x, double y, double z) =>
        Math.Exp((centre.X * x + centre.Y * y + centre.Z * z - 1) / (width * width));

    /// <summary>Samples f(v) on every node of a grid as a float64 tensor [nlat, nlon].</summary>
    public static Tensor Sample(SphereGrid grid, Func<double, double, double, double> f)
    {
        double[] values = new double[grid.NLat * grid.NLon];
        for (int i = 0; i < grid.NLat; i++)
        {
            for (int p = 0; p < grid.NLon; p++)
            {
                (double x, double y, double z) = Rotation.ToVector(grid.Colatitude(i), grid.LongitudeDegrees(p) * (Math.PI / 180));
                values[i * grid.NLon + p] = f(x, y, z);
            }
        }

        return tensor(values, [grid.NLat, grid.NLon]);
    }

    /// <summary>max |conv(roll x) − roll(conv x)| for a roll by <paramref name="steps"/> output columns (s·steps input columns).</summary>
    public static double ZRollError(DiscoConvS2 layer, Tensor x, int steps)
    {
        using DisposeScope scope = NewDisposeScope();
        int stride = layer.InGrid.NLon / layer.OutGrid.NLon;
        Tensor a = layer.forward(roll(x, stride * steps, -1));
        Tensor b = roll(layer.forward(x), steps, -1);
        return (a - b).abs().max().item<double>();
    }

    /// <summary>
    /// The rotation by π about the x axis, (θ, λ) → (π − θ, −λ): rows reversed and longitudes negated. Exact on grids
    /// whose rows are symmetric about the equator and whose column 0 sits at longitude 0.
    /// </summary>
    public static Tensor FlipNorthSouth(Tensor x)
    {
        using DisposeScope scope = NewDisposeScope();
        long nlon = x.shape[^1];
        long[] negated = Enumerable.Range(0, (int)nlon).Select(p => (nlon - p) % nlon).ToArray();
        return x.flip(-2).index_select(-1, tensor(negated, device: x.device)).MoveToOuterDisposeScope();
    }

    /// <summary>max |conv(flip x) − flip(conv x)| / max |conv x| for the north–south flip.</summary>
    public static double NorthSouthFlipError(DiscoConvS2 layer, Tensor x)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor reference = layer.forward(x);
        Tensor flipped = layer.forward(FlipNorthSouth(x));
        return (flipped - FlipNorthSouth(reference)).abs().max().item<double>() / reference.abs().max().item<double>();
    }

    /// <summary>
    /// The pole-versus-equator bump test: the K basis responses to a bump at the north pole, read down a meridian,
    /// against the responses to the same bump centred on the equator, read southwards and eastwards from its centre,
    /// over a quarter turn. Uses an equiangular grid with nlon = 2(nlat − 1), so the three profiles sample the same
    /// distances. Two readings of the same profiles, each the worse of the two directions:
    /// <see cref="BumpDifference.MaxPerBasis"/> = max |difference| / max |pole response| over all basis functions;
    /// <see cref="BumpDifference.RmsOfSum"/> = the root-mean-square difference of the summed basis responses (what a
    /// layer with unit weights outputs) over the profile, divided by its maximum.
    /// </summary>
    public static BumpDifference PoleEquatorBump(int nlat, FilterBasis basis, double thetaCutoff, BasisNormalization normalization, double bumpWidth)
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, nlat, 2 * (nlat - 1), lonOriginDegrees: 0);
        PsiTensor psi = PsiCache.Shared.GetOrBuild(new PsiSpec(grid, grid, basis, thetaCutoff, normalization, Transpose: false));
        using IDiscoContraction contraction = DiscoContraction.Create(psi);
        using DisposeScope scope = NewDisposeScope();
        Tensor pole = contraction.Contract(Sample(grid, (x, y, z) => Bump((0, 0, 1), bumpWidth, x, y, z)).view(1, 1, nlat, grid.NLon))[0, 0];
        Tensor equator = contraction.Contract(Sample(grid, (x, y, z) => Bump((1, 0, 0), bumpWidth, x, y, z)).view(1, 1, nlat, grid.NLon))[0, 0];

        int equatorRow = (nlat - 1) / 2;
        long[] distances = Enumerable.Range(0, equatorRow + 1).Select(j => (long)j).ToArray();
        Tensor meridian = pole.index_select(1, tensor(distances)).select(2, 0).to(float64);                                // [K, steps]
        Tensor southward = equator.index_select(1, tensor(distances.Select(j => equatorRow + j).ToArray())).select(2, 0).to(float64);
        Tensor eastward = equator.select(1, equatorRow).index_select(1, tensor(distances)).to(float64);

        double maxPerBasis = Math.Max((meridian - southward).abs().max().item<double>(), (meridian - eastward).abs().max().item<double>())
            / meridian.abs().max().item<double>();
        Tensor summed = meridian.sum(dim: 0);
        double RmsOfSum(Tensor other) => (summed - other.sum(dim: 0)).square().mean().sqrt().item<double>() / summed.abs().max().item<double>();
        return new BumpDifference(maxPerBasis, Math.Max(RmsOfSum(southward), RmsOfSum(eastward)));
    }

    /// <summary>
    /// SO(3) equivariance of the K basis responses without interpolation: the analytic input f rotated exactly,
    /// f_R(v) = f(Rᵀv), is sampled on the grid and convolved; the unrotated input is convolved with psi built for the
    /// scattered output points Rᵀv. Equivariance means the two agree; returns their relative quadrature-weighted L2
    /// difference. Needs a latitude-independent normalisation (geometric or none).
    /// </summary>
    public static double ExactRotationError(
        SphereGrid grid, FilterBasis basis, double thetaCutoff, Rotation rotation, Func<double, double, double, double> f)
    {
        using DisposeScope scope = NewDisposeScope();
        PsiTensor onGrid = PsiCache.Shared.GetOrBuild(new PsiSpec(grid, grid, basis, thetaCutoff, BasisNormalization.Geometric, Transpose: false));
        List<(double, double)> rotatedNodes = new(grid.NLat * grid.NLon);
        double origin = grid.LonOriginDegrees * (Math.PI / 180);
        for (int i = 0; i < grid.NLat; i++)
        {
            for (int p = 0; p < grid.NLon; p++)
            {
                (double x, double y, double z) = Rotation.ToVector(grid.Colatitude(i), origin + grid.LongitudeRadians(p));
                (double rx, double ry, double rz) = rotation.ApplyInverse(x, y, z);
                (double colatitude, double longitude) = Rotation.ToSpherical(rx, ry, rz);
                rotatedNodes.Add((colatitude, longitude - origin));
            }
        }

        PsiTensor atPoints = PsiBuilder.BuildAtPoints(grid, basis, thetaCutoff, BasisNormalization.Geometric, rotatedNodes);
        using IDiscoContraction gridContraction = DiscoContraction.Create(onGrid);
        using IDiscoContraction pointContraction = DiscoContraction.Create(atPoints);
        Tensor rotatedInput = Sample(grid, (x, y, z) =>
        {
            (double rx, double ry, double rz) = rotation.ApplyInverse(x, y, z);
            return f(rx, ry, rz);
        }).view(1, 1, grid.NLat, grid.NLon);
        Tensor convolvedRotated = gridContraction.Contract(rotatedInput).view(basis.KernelSize, -1);                          // [K, nodes]
        Tensor atRotatedPoints = pointContraction.Contract(Sample(grid, f).view(1, 1, grid.NLat, grid.NLon)).view(basis.KernelSize, -1);
        return WeightedRelativeL2(grid, convolvedRotated, atRotatedPoints);
    }

    /// <summary>
    /// The same rotation test for any map-to-map operator, by resampling its output: ‖op(f_R) − resample_R(op(f))‖ /
    /// ‖op(f_R)‖, quadrature-weighted. Includes bilinear interpolation error; <see cref="InterpolationFloor"/> is that
    /// error alone.
    /// </summary>
    public static double ResampledRotationError(SphereGrid grid, Func<Tensor, Tensor> op, Rotation rotation, Func<double, double, double, double> f)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor input = Sample(grid, f).view(1, 1, grid.NLat, grid.NLon);
        Tensor rotatedInput = Sample(grid, (x, y, z) =>
        {
            (double rx, double ry, double rz) = rotation.ApplyInverse(x, y, z);
            return f(rx, ry, rz);
        }).view(1, 1, grid.NLat, grid.NLon);
        SphereResampler resampler = SphereResampler.Create(grid, grid, rotation, Interpolation.Bilinear);
        Tensor a = op(rotatedInput);
        Tensor b = resampler.Apply(op(input));
        return WeightedRelativeL2(grid, a.view(a.shape[1], -1), b.view(b.shape[1], -1));
    }

    /// <summary>‖f_R − resample_R(f)‖ / ‖f_R‖: what bilinear resampling alone contributes to <see cref="ResampledRotationError"/>.</summary>
    public static double InterpolationFloor(SphereGrid grid, Rotation rotation, Func<double, double, double, double> f) =>
        ResampledRotationError(grid, x => x, rotation, f);

    /// <summary>
    /// A planar 3×3 Conv2d on the equirectangular image (circular padding in longitude, replicated rows at the poles)
    /// with zero-mean random weights, i.e. a derivative-like filter in the image's own axes: the baseline the
    /// equivariance benchmark puts beside DISCO.
    /// </summary>
    public static Func<Tensor, Tensor> PlanarConvolution(int seed)
    {
        Generator generator = new((ulong)seed);
        Tensor kernel = randn([1, 1, 3, 3], dtype: float64, generator: generator);
        kernel = (kernel - kernel.mean()).DetachFromDisposeScope();
        return x =>
        {
            Tensor padded = nn.functional.pad(x, [1, 1, 0, 0], PaddingModes.Circular);
            padded = nn.functional.pad(padded, [0, 0, 1, 1], PaddingModes.Replicate);
            return nn.functional.conv2d(padded, kernel);
        };
    }

    /// <summary>Random smooth test input: a sum of von Mises–Fisher bumps of the given width at random centres and signs.</summary>
    public static Func<double, double, double, double> RandomBumps(int seed, int count, double width)
    {
        Random random = new(seed);
        (double X, double Y, double Z, double Amplitude)[] bumps = Enumerable.Range(0, count).Select(_ =>
        {
            (double x, double y, double z) = Rotation.Random(random).Apply(0, 0, 1);
            return (x, y, z, random.NextDouble() * 2 - 1);
        }).ToArray();
        return (x, y, z) => bumps.Sum(b => b.Amplitude * Bump((b.X, b.Y, b.Z), width, x, y, z));
    }

    private static double WeightedRelativeL2(SphereGrid grid, Tensor a, Tensor b)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor weights = tensor(grid.RowAreas()).repeat_interleave(grid.NLon).to(a.dtype);
        double difference = ((a - b).square() * weights).sum().item<double>();
        double reference = (a.square() * weights).sum().item<double>();
        return Math.Sqrt(difference / reference);
    }
}

/// <summary>Two readings of the pole-versus-equator bump difference (see <see cref="EquivarianceProbes.PoleEquatorBump"/>).</summary>
/// <param name="MaxPerBasis">Largest pointwise difference of any basis response, relative to the largest response.</param>
/// <param name="RmsOfSum">RMS difference of the summed basis responses over the profile, relative to their maximum.</param>
internal readonly record struct BumpDifference(double MaxPerBasis, double RmsOfSum);

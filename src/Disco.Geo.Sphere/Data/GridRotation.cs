using Disco.Geo.Grids;
using Disco.Geo.Sphere.Rotations;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Data;

/// <summary>
/// One rotation R of signals on one grid, (R·f)(v) = f(Rᵀv), with the taps of <see cref="SphereResampler"/> (bilinear
/// or bicubic in colatitude and longitude, continued over the poles; nearest = the bilinear tap of largest weight), and
/// exactly, as a permutation, when R maps nodes to nodes (<see cref="GridSymmetry"/>: whole-column rolls, and flips
/// about an equatorial axis where the grid allows). Unlike a <see cref="SphereResampler"/>, it keeps no device tensors:
/// each call builds its index tensors inside the caller's dispose scope, so the trainer can draw a new rotation every
/// step without leaking native memory.
/// </summary>
internal sealed class GridRotation
{
    private readonly long[] _index; // [taps, nodes]
    private readonly float[] _weight; // [taps, nodes]
    private readonly long[] _nearestIndex; // [nodes]

    private GridRotation(SphereGrid grid, Rotation rotation, Interpolation interpolation, GridSymmetry? exact, int taps, long[] index, float[] weight, long[] nearestIndex)
    {
        Grid = grid;
        Rotation = rotation;
        Interpolation = interpolation;
        Exact = exact;
        Taps = taps;
        _index = index;
        _weight = weight;
        _nearestIndex = nearestIndex;
    }

    public SphereGrid Grid { get; }

    public Rotation Rotation { get; }

    /// <summary>How <see cref="Interpolate"/> resamples when the rotation is not exact.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>The permutation when the rotation maps nodes to nodes, else null.</summary>
    public GridSymmetry? Exact { get; }

    /// <summary>Columns rolled eastwards when the rotation is an exact roll about the pole (no flip), else null.</summary>
    public int? RollSteps => Exact is { Flip: false } symmetry ? symmetry.RollSteps : null;

    /// <summary>Source nodes per target node of <see cref="Interpolate"/> (0 when exact).</summary>
    public int Taps { get; }

    /// <summary>
    /// Prepares R on <paramref name="grid"/>; <paramref name="interpolation"/> (bilinear or bicubic) is what
    /// <see cref="Interpolate"/> uses when R is not exact.
    /// </summary>
    public static GridRotation Create(SphereGrid grid, Rotation rotation, Interpolation interpolation = Interpolation.Bilinear)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(rotation);
        if (interpolation is not (Interpolation.Bilinear or Interpolation.Bicubic))
        {
            throw new ArgumentException($"Continuous resampling is bilinear or bicubic, not {interpolation}.", nameof(interpolation));
        }

        if (GridSymmetry.TryFind(rotation, grid, out GridSymmetry symmetry))
        {
            return new GridRotation(grid, rotation, interpolation, symmetry, 0, [], [], []);
        }

        int nodes = checked(grid.NLat * grid.NLon);
        int taps = SphereResampler.TapCount(interpolation);
        long[] tapIndex = new long[taps * nodes];
        float[] tapWeight = new float[taps * nodes];
        long[] nearestIndex = new long[nodes];
        Parallel.For(0, grid.NLat, i =>
        {
            Span<long> index = stackalloc long[SphereResampler.CubicTapCount];
            Span<double> weight = stackalloc double[SphereResampler.CubicTapCount];
            for (int p = 0; p < grid.NLon; p++)
            {
                (double x, double y, double z) = Rotation.ToVector(grid.Colatitude(i), grid.LongitudeDegrees(p) * (Math.PI / 180));
                (double sx, double sy, double sz) = rotation.ApplyInverse(x, y, z);
                (double theta, double lambda) = Rotation.ToSpherical(sx, sy, sz);
                int node = i * grid.NLon + p;
                SphereResampler.BilinearTaps(grid, theta, lambda, index, weight);
                int best = 0;
                for (int t = 0; t < 4; t++)
                {
                    best = weight[t] > weight[best] ? t : best;
                }

                nearestIndex[node] = index[best];
                if (interpolation == Interpolation.Bicubic)
                {
                    SphereResampler.CubicTaps(grid, theta, lambda, index, weight);
                }

                for (int t = 0; t < taps; t++)
                {
                    tapIndex[t * nodes + node] = index[t];
                    tapWeight[t * nodes + node] = (float)weight[t];
                }
            }
        });

        return new GridRotation(grid, rotation, interpolation, null, taps, tapIndex, tapWeight, nearestIndex);
    }

    /// <summary>The permutation <paramref name="symmetry"/> of <paramref name="grid"/> (its rotation, applied exactly).</summary>
    public static GridRotation Exactly(SphereGrid grid, GridSymmetry symmetry)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (symmetry.Flip && !GridSymmetry.FlipIsExact(grid))
        {
            throw new ArgumentException($"The north-south flip does not map the nodes of {grid} onto nodes.", nameof(symmetry));
        }

        GridSymmetry normalized = symmetry with { RollSteps = ((symmetry.RollSteps % grid.NLon) + grid.NLon) % grid.NLon };
        return new GridRotation(grid, normalized.ToRotation(grid), Interpolation.Bilinear, normalized, 0, [], [], []);
    }

    /// <summary>
    /// Resampling of a floating-point tensor [..., NLat, NLon] with <see cref="Interpolation"/> (a permutation when
    /// exact): for inputs and continuous outputs.
    /// </summary>
    public Tensor Interpolate(Tensor x)
    {
        CheckShape(x);
        if (Exact is GridSymmetry symmetry)
        {
            return symmetry.Apply(x, Grid);
        }

        using DisposeScope scope = NewDisposeScope();
        int nodes = Grid.NLat * Grid.NLon;
        Tensor flat = x.reshape(-1, nodes);
        Tensor index = tensor(_index, device: x.device);
        Tensor weight = tensor(_weight, [Taps, nodes], device: x.device).to(x.dtype);
        Tensor result = (flat.index_select(1, index).view(-1, Taps, nodes) * weight).sum(1);
        return result.reshape(x.shape).MoveToOuterDisposeScope();
    }

    /// <summary>Nearest-node resampling of a tensor of any dtype [..., NLat, NLon]: for class ids, masks and targets.</summary>
    public Tensor Nearest(Tensor x)
    {
        CheckShape(x);
        if (Exact is GridSymmetry symmetry)
        {
            return symmetry.Apply(x, Grid);
        }

        using DisposeScope scope = NewDisposeScope();
        int nodes = Grid.NLat * Grid.NLon;
        Tensor index = tensor(_nearestIndex, device: x.device);
        return x.reshape(-1, nodes).index_select(1, index).reshape(x.shape).MoveToOuterDisposeScope();
    }

    private void CheckShape(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() < 2 || x.shape[^2] != Grid.NLat || x.shape[^1] != Grid.NLon)
        {
            throw new ArgumentException(
                $"Expected a tensor ending in [{Grid.NLat}, {Grid.NLon}] ({Grid}), got [{string.Join(", ", x.shape)}].", nameof(x));
        }
    }
}

using Disco.Geo.Grids;
using Disco.Geo.Sphere.Rotations;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Data;

/// <summary>
/// One rotation R of signals on one grid, (R·f)(v) = f(Rᵀv), with the same taps as <see cref="SphereResampler"/>
/// (bilinear in colatitude and longitude, continued over the poles; nearest = the bilinear tap of largest weight), and
/// an exact roll for rotations about the pole by whole columns. Unlike a <see cref="SphereResampler"/>, it keeps no
/// device tensors: each call builds its index tensors inside the caller's dispose scope, so the trainer can draw a new
/// rotation every step without leaking native memory.
/// </summary>
internal sealed class GridRotation
{
    private readonly long[] _bilinearIndex; // [4, nodes]
    private readonly float[] _bilinearWeight; // [4, nodes]
    private readonly long[] _nearestIndex; // [nodes]

    private GridRotation(SphereGrid grid, Rotation rotation, int? rollSteps, long[] bilinearIndex, float[] bilinearWeight, long[] nearestIndex)
    {
        Grid = grid;
        Rotation = rotation;
        RollSteps = rollSteps;
        _bilinearIndex = bilinearIndex;
        _bilinearWeight = bilinearWeight;
        _nearestIndex = nearestIndex;
    }

    public SphereGrid Grid { get; }

    public Rotation Rotation { get; }

    /// <summary>Columns rolled eastwards when the rotation is an exact roll, else null.</summary>
    public int? RollSteps { get; }

    public static GridRotation Create(SphereGrid grid, Rotation rotation)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(rotation);
        if (SphereResampler.TryWholeStepRoll(rotation, grid, out int steps))
        {
            return new GridRotation(grid, rotation, steps, [], [], []);
        }

        int nodes = checked(grid.NLat * grid.NLon);
        long[] bilinearIndex = new long[4 * nodes];
        float[] bilinearWeight = new float[4 * nodes];
        long[] nearestIndex = new long[nodes];
        Parallel.For(0, grid.NLat, i =>
        {
            Span<long> index = stackalloc long[4];
            Span<double> weight = stackalloc double[4];
            for (int p = 0; p < grid.NLon; p++)
            {
                (double x, double y, double z) = Rotation.ToVector(grid.Colatitude(i), grid.LongitudeDegrees(p) * (Math.PI / 180));
                (double sx, double sy, double sz) = rotation.ApplyInverse(x, y, z);
                (double theta, double lambda) = Rotation.ToSpherical(sx, sy, sz);
                SphereResampler.BilinearTaps(grid, theta, lambda, index, weight);
                int node = i * grid.NLon + p;
                int best = 0;
                for (int t = 0; t < 4; t++)
                {
                    bilinearIndex[t * nodes + node] = index[t];
                    bilinearWeight[t * nodes + node] = (float)weight[t];
                    best = weight[t] > weight[best] ? t : best;
                }

                nearestIndex[node] = index[best];
            }
        });

        return new GridRotation(grid, rotation, null, bilinearIndex, bilinearWeight, nearestIndex);
    }

    /// <summary>Bilinear resampling of a floating-point tensor [..., NLat, NLon]: for inputs and continuous outputs.</summary>
    public Tensor Bilinear(Tensor x)
    {
        CheckShape(x);
        if (RollSteps is int steps)
        {
            return roll(x, steps, -1);
        }

        using DisposeScope scope = NewDisposeScope();
        int nodes = Grid.NLat * Grid.NLon;
        Tensor flat = x.reshape(-1, nodes);
        Tensor index = tensor(_bilinearIndex, device: x.device);
        Tensor weight = tensor(_bilinearWeight, [4, nodes], device: x.device).to(x.dtype);
        Tensor result = (flat.index_select(1, index).view(-1, 4, nodes) * weight).sum(1);
        return result.reshape(x.shape).MoveToOuterDisposeScope();
    }

    /// <summary>Nearest-node resampling of a tensor of any dtype [..., NLat, NLon]: for class ids, masks and targets.</summary>
    public Tensor Nearest(Tensor x)
    {
        CheckShape(x);
        if (RollSteps is int steps)
        {
            return roll(x, steps, -1);
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

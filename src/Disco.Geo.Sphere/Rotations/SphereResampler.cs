using System.Collections.Concurrent;
using Disco.Geo.Grids;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Rotations;

/// <summary>
/// Resamples signals from one sphere grid onto another, optionally rotated: the value at target node v is the source
/// signal at Rᵀv. Weights are precomputed once (four taps per node), so applying it is one gather and a weighted sum on
/// any device. Interpolation is bilinear (four taps) or bicubic (sixteen taps) in (θ, λ), periodic in longitude, and
/// continues over the poles: rows beyond a pole are the grid's own rows seen across it (colatitude −θ or 2π − θ,
/// longitude + 180°), so there is no seam or hole at the poles. A rotation about the polar axis by whole longitude
/// steps between identical grids is done exactly, as a roll.
/// </summary>
public sealed class SphereResampler
{
    private readonly long[] _indices;   // [taps, targetNodes]
    private readonly double[] _weights; // [taps, targetNodes]
    private readonly ConcurrentDictionary<(DeviceType, int, ScalarType), (Tensor Index, Tensor Weight)> _onDevice = new();

    private SphereResampler(SphereGrid source, SphereGrid target, Interpolation mode, int taps, long[] indices, double[] weights, int? exactRoll)
    {
        Source = source;
        Target = target;
        Mode = mode;
        Taps = taps;
        _indices = indices;
        _weights = weights;
        ExactRollSteps = exactRoll;
    }

    /// <summary>The grid the input lives on.</summary>
    public SphereGrid Source { get; }

    /// <summary>The grid the output lives on.</summary>
    public SphereGrid Target { get; }

    /// <summary>The interpolation mode.</summary>
    public Interpolation Mode { get; }

    /// <summary>Source nodes combined per target node (1 for nearest, 4 for bilinear, 16 for bicubic, 0 for an exact roll).</summary>
    public int Taps { get; }

    /// <summary>When the resampling is an exact longitude roll, the number of columns rolled eastwards.</summary>
    public int? ExactRollSteps { get; }

    /// <summary>Prepares a resampling from <paramref name="source"/> to <paramref name="target"/> under <paramref name="rotation"/> (identity when null).</summary>
    public static SphereResampler Create(SphereGrid source, SphereGrid target, Rotation? rotation, Interpolation mode)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        rotation ??= Rotation.Identity;
        if (source.Equals(target) && TryWholeStepRoll(rotation, source, out int steps))
        {
            return new SphereResampler(source, target, mode, 0, [], [], steps);
        }

        int nodes = checked(target.NLat * target.NLon);
        int taps = TapCount(mode);
        long[] indices = new long[taps * nodes];
        double[] weights = new double[taps * nodes];
        Parallel.For(0, target.NLat, i =>
        {
            Span<long> index = stackalloc long[CubicTapCount];
            Span<double> weight = stackalloc double[CubicTapCount];
            for (int p = 0; p < target.NLon; p++)
            {
                (double x, double y, double z) = Rotation.ToVector(target.Colatitude(i), target.LongitudeDegrees(p) * (Math.PI / 180));
                (double sx, double sy, double sz) = rotation.ApplyInverse(x, y, z);
                (double theta, double lambda) = Rotation.ToSpherical(sx, sy, sz);
                int node = i * target.NLon + p;
                if (mode == Interpolation.Bicubic)
                {
                    CubicTaps(source, theta, lambda, index, weight);
                    for (int t = 0; t < CubicTapCount; t++)
                    {
                        indices[t * nodes + node] = index[t];
                        weights[t * nodes + node] = weight[t];
                    }

                    continue;
                }

                BilinearTaps(source, theta, lambda, index, weight);
                if (mode == Interpolation.Nearest)
                {
                    int best = 0;
                    for (int t = 1; t < 4; t++)
                    {
                        best = weight[t] > weight[best] ? t : best;
                    }

                    indices[node] = index[best];
                    weights[node] = 1.0;
                }
                else
                {
                    for (int t = 0; t < 4; t++)
                    {
                        indices[t * nodes + node] = index[t];
                        weights[t * nodes + node] = weight[t];
                    }
                }
            }
        });

        return new SphereResampler(source, target, mode, taps, indices, weights, null);
    }

    /// <summary>Resamples a tensor [..., source.NLat, source.NLon] to [..., target.NLat, target.NLon] (float32 or float64, any device).</summary>
    /// <exception cref="ArgumentException">The trailing dimensions do not match the source grid, or the dtype is not floating point.</exception>
    public Tensor Apply(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() < 2 || x.shape[^2] != Source.NLat || x.shape[^1] != Source.NLon)
        {
            throw new ArgumentException(
                $"Expected a tensor ending in [{Source.NLat}, {Source.NLon}] (the source grid), got [{string.Join(", ", x.shape)}].", nameof(x));
        }

        if (ExactRollSteps is int steps)
        {
            return roll(x, steps, -1);
        }

        if (Mode != Interpolation.Nearest && !x.is_floating_point())
        {
            throw new ArgumentException($"{Mode} resampling needs a floating-point tensor, got {x.dtype}; use nearest for labels.", nameof(x));
        }

        using DisposeScope scope = NewDisposeScope();
        long[] leading = x.shape[..^2];
        int nodes = Target.NLat * Target.NLon;
        Tensor flat = x.reshape(-1, (long)Source.NLat * Source.NLon);
        (Tensor index, Tensor weight) = OnDevice(x);
        Tensor gathered = flat.index_select(1, index);
        Tensor result = Taps == 1
            ? gathered
            : (gathered.view(-1, Taps, nodes) * weight.to(x.dtype)).sum(1);
        return result.reshape([.. leading, Target.NLat, Target.NLon]).MoveToOuterDisposeScope();
    }

    private (Tensor Index, Tensor Weight) OnDevice(Tensor x) =>
        _onDevice.GetOrAdd((x.device_type, x.device_index, ScalarType.Float64), _ =>
        {
            Tensor index = tensor(_indices, device: x.device);
            Tensor weight = tensor(_weights, [Taps, _weights.Length / Math.Max(Taps, 1)], device: x.device);
            index.DetachFromDisposeScope();
            weight.DetachFromDisposeScope();
            return (index, weight);
        });

    /// <summary>Taps per target node of an interpolation mode.</summary>
    internal static int TapCount(Interpolation mode) => mode switch
    {
        Interpolation.Nearest => 1,
        Interpolation.Bilinear => 4,
        Interpolation.Bicubic => CubicTapCount,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown interpolation."),
    };

    /// <summary>Taps of <see cref="CubicTaps"/>.</summary>
    internal const int CubicTapCount = 16;

    /// <summary>
    /// Sixteen source nodes and bicubic weights around (θ, λ): four rows around θ with cubic Lagrange weights on their
    /// colatitudes, continued across the poles (rows seen across a pole sit at −θ_j or 2π − θ_j, longitude + 180°; a pole
    /// row is not repeated), each with four columns and cubic Lagrange weights in longitude. Grids of fewer than four rows
    /// fall back to the bilinear taps (the rest weigh 0).
    /// </summary>
    internal static void CubicTaps(SphereGrid grid, double theta, double lambda, Span<long> index, Span<double> weight)
    {
        int n = grid.NLat;
        if (n < 4)
        {
            index[4..].Clear();
            weight[4..].Clear();
            BilinearTaps(grid, theta, lambda, index, weight);
            return;
        }

        ReadOnlySpan<double> colatitudes = grid.Colatitudes;
        int below; // extended row at or north of θ; rows below..below+1 bracket θ
        if (theta < colatitudes[0])
        {
            below = -1;
        }
        else if (theta >= colatitudes[n - 1])
        {
            below = theta > colatitudes[n - 1] ? n - 1 : n - 2;
        }
        else
        {
            int found = colatitudes.BinarySearch(theta);
            below = found >= 0 ? Math.Min(found, n - 2) : ~found - 1;
        }

        Span<int> rows = stackalloc int[4];
        Span<double> rowColatitudes = stackalloc double[4];
        Span<bool> across = stackalloc bool[4];
        for (int r = 0; r < 4; r++)
        {
            (rows[r], rowColatitudes[r], across[r]) = ExtendedRow(grid, below - 1 + r);
        }

        double column = (lambda * (180.0 / Math.PI) - grid.LonOriginDegrees) / grid.LonStepDegrees;
        Span<double> columnWeights = stackalloc double[4];
        for (int r = 0; r < 4; r++)
        {
            double rowWeight = 1;
            for (int j = 0; j < 4; j++)
            {
                if (j != r)
                {
                    rowWeight *= (theta - rowColatitudes[j]) / (rowColatitudes[r] - rowColatitudes[j]);
                }
            }

            double c = across[r] ? column + grid.NLon / 2.0 : column;
            double floor = Math.Floor(c);
            double t = c - floor;
            columnWeights[0] = -t * (t - 1) * (t - 2) / 6;
            columnWeights[1] = (t + 1) * (t - 1) * (t - 2) / 2;
            columnWeights[2] = -(t + 1) * t * (t - 2) / 2;
            columnWeights[3] = (t + 1) * t * (t - 1) / 6;
            long first = (long)floor - 1;
            for (int k = 0; k < 4; k++)
            {
                long wrapped = ((first + k) % grid.NLon + grid.NLon) % grid.NLon;
                index[r * 4 + k] = rows[r] * (long)grid.NLon + wrapped;
                weight[r * 4 + k] = rowWeight * columnWeights[k];
            }
        }
    }

    /// <summary>
    /// Row k of the grid extended across the poles: the source row, its colatitude on the extended axis, and whether it
    /// is seen across a pole (so its longitudes are shifted by 180°). A pole row is its own mirror, so beyond a pole row
    /// the extension starts at the next row.
    /// </summary>
    private static (int Row, double Colatitude, bool Across) ExtendedRow(SphereGrid grid, int k)
    {
        ReadOnlySpan<double> colatitudes = grid.Colatitudes;
        int n = grid.NLat;
        if (k < 0)
        {
            int row = colatitudes[0] < 1e-12 ? -k : -k - 1;
            return (row, -colatitudes[row], true);
        }

        if (k >= n)
        {
            int beyond = k - n + 1;
            int row = Math.PI - colatitudes[n - 1] < 1e-12 ? n - 1 - beyond : n - beyond;
            return (row, 2 * Math.PI - colatitudes[row], true);
        }

        return (k, colatitudes[k], false);
    }

    /// <summary>Four source nodes and bilinear weights around (θ, λ), continuing across the poles.</summary>
    internal static void BilinearTaps(SphereGrid grid, double theta, double lambda, Span<long> index, Span<double> weight)
    {
        ReadOnlySpan<double> colatitudes = grid.Colatitudes;
        int n = grid.NLat;
        double column = (lambda * (180.0 / Math.PI) - grid.LonOriginDegrees) / grid.LonStepDegrees;
        int rowA, rowB;
        double columnA = column, columnB = column, fraction;
        if (theta < colatitudes[0])
        {
            // Between the first row seen across the pole (at colatitude −θ₀, longitude + 180°) and the first row.
            rowA = 0;
            rowB = 0;
            columnA = column + grid.NLon / 2.0;
            fraction = (theta + colatitudes[0]) / (2 * colatitudes[0]);
        }
        else if (theta > colatitudes[n - 1])
        {
            double gap = Math.PI - colatitudes[n - 1];
            rowA = n - 1;
            rowB = n - 1;
            columnB = column + grid.NLon / 2.0;
            fraction = (theta - colatitudes[n - 1]) / (2 * gap);
        }
        else
        {
            int upper = colatitudes.BinarySearch(theta);
            rowA = upper >= 0 ? Math.Min(upper, n - 2) : Math.Max(~upper - 1, 0);
            rowA = Math.Min(rowA, Math.Max(n - 2, 0));
            rowB = Math.Min(rowA + 1, n - 1);
            double span = colatitudes[rowB] - colatitudes[rowA];
            fraction = span > 0 ? Math.Clamp((theta - colatitudes[rowA]) / span, 0.0, 1.0) : 0.0;
        }

        ColumnTaps(grid.NLon, columnA, out long a0, out long a1, out double fa);
        ColumnTaps(grid.NLon, columnB, out long b0, out long b1, out double fb);
        index[0] = rowA * (long)grid.NLon + a0;
        index[1] = rowA * (long)grid.NLon + a1;
        index[2] = rowB * (long)grid.NLon + b0;
        index[3] = rowB * (long)grid.NLon + b1;
        weight[0] = (1 - fraction) * (1 - fa);
        weight[1] = (1 - fraction) * fa;
        weight[2] = fraction * (1 - fb);
        weight[3] = fraction * fb;
    }

    private static void ColumnTaps(int nlon, double column, out long first, out long second, out double fraction)
    {
        double floor = Math.Floor(column);
        fraction = column - floor;
        long wrapped = ((long)floor % nlon + nlon) % nlon;
        first = wrapped;
        second = (wrapped + 1) % nlon;
    }

    /// <summary>True when <paramref name="rotation"/> is a rotation about the polar axis by a whole number of longitude steps.</summary>
    internal static bool TryWholeStepRoll(Rotation rotation, SphereGrid grid, out int steps)
    {
        steps = 0;
        bool aboutZ = Math.Abs(rotation[2, 2] - 1) < 1e-14 && Math.Abs(rotation[0, 2]) < 1e-14 && Math.Abs(rotation[1, 2]) < 1e-14;
        if (!aboutZ)
        {
            return false;
        }

        double angle = Math.Atan2(rotation[1, 0], rotation[0, 0]);
        double columns = angle / (2 * Math.PI) * grid.NLon;
        double rounded = Math.Round(columns);
        if (Math.Abs(columns - rounded) > 1e-9)
        {
            return false;
        }

        steps = (int)(((long)rounded % grid.NLon + grid.NLon) % grid.NLon);
        return true;
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Disco.Geo.Sphere.Contraction;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Models;

/// <summary>
/// The group norm's full-size passes on the CPU, over contiguous [B, C, H, W] float32 or float64 tensors: one read of x
/// for the moments and one read-write for the output in the forward; one read of (g, x) for the channel sums and one
/// read-write for the input gradient in the backward. The tensor-op form (<see cref="SphereGroupNorm.Normalize"/>,
/// <see cref="SphereGroupNorm.Gradients"/>) makes five or six full-size passes each way, most through temporaries; it
/// was 23 % of the reference U-Net's training step. Row sums accumulate in vector lanes of T and are carried on in
/// double, so the moments are at least as accurate as the tensor ops'. Every pass is compiled fully optimised at its
/// first call: with tiered compilation a training run of seconds spent its first steps in quick-jitted passes (perf).
/// </summary>
internal static unsafe class SphereGroupNormKernel
{
    private static readonly ParallelOptions Workers = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    /// <summary>Whether these passes can run on <paramref name="x"/> (a [B, C, H, W] CPU tensor of float32 or float64).</summary>
    public static bool Supports(Tensor x) =>
        x.device_type == DeviceType.CPU && x.dim() == 4 && (x.dtype == ScalarType.Float32 || x.dtype == ScalarType.Float64);

    /// <summary>
    /// Per plane p = (b, c): first[p] = Σ_h a_h·mean_w x and second[p] = Σ_h a_h·mean_w x², with a_h the row weights
    /// (summing to 1), i.e. the area-weighted means of x and x² over the plane.
    /// </summary>
    public static void Moments(Tensor x, double[] rowWeights, double[] first, double[] second)
    {
        if (x.dtype == ScalarType.Float32)
        {
            Moments(TensorData.Pointer<float>(x), Shape(x), rowWeights, first, second);
        }
        else
        {
            Moments(TensorData.Pointer<double>(x), Shape(x), rowWeights, first, second);
        }
    }

    /// <summary>y = x·scale[p] + shift[p] per plane p.</summary>
    public static void Affine(Tensor x, double[] scale, double[] shift, Tensor y)
    {
        if (x.dtype == ScalarType.Float32)
        {
            Affine(TensorData.Pointer<float>(x), Shape(x), scale, shift, TensorData.Pointer<float>(y));
        }
        else
        {
            Affine(TensorData.Pointer<double>(x), Shape(x), scale, shift, TensorData.Pointer<double>(y));
        }
    }

    /// <summary>Per plane p: products[p] = Σ g·x and sums[p] = Σ g over the whole plane (no area weights).</summary>
    public static void ChannelSums(Tensor g, Tensor x, double[] products, double[] sums)
    {
        if (x.dtype == ScalarType.Float32)
        {
            ChannelSums(TensorData.Pointer<float>(g), TensorData.Pointer<float>(x), Shape(x), products, sums);
        }
        else
        {
            ChannelSums(TensorData.Pointer<double>(g), TensorData.Pointer<double>(x), Shape(x), products, sums);
        }
    }

    /// <summary>gradX = scale[p]·g + (coefficient[p]·x + offset[p])·rowFactor[h] per plane p and row h.</summary>
    public static void InputGradient(Tensor g, Tensor x, double[] scale, double[] coefficient, double[] offset, double[] rowFactor, Tensor gradX)
    {
        if (x.dtype == ScalarType.Float32)
        {
            InputGradient(TensorData.Pointer<float>(g), TensorData.Pointer<float>(x), Shape(x), scale, coefficient, offset, rowFactor, TensorData.Pointer<float>(gradX));
        }
        else
        {
            InputGradient(TensorData.Pointer<double>(g), TensorData.Pointer<double>(x), Shape(x), scale, coefficient, offset, rowFactor, TensorData.Pointer<double>(gradX));
        }
    }

    /// <summary>y = GELU(x·scale[p] + shift[p]) per plane p, on float32 (the norm and the activation after it in one pass).</summary>
    public static void AffineGelu(Tensor x, double[] scale, double[] shift, Tensor y)
    {
        float* source = TensorData.Pointer<float>(x), destination = TensorData.Pointer<float>(y);
        nint xAddress = (nint)source, yAddress = (nint)destination;
        (int planes, int rows, int columns) = Shape(x);
        long length = (long)rows * columns;
        Parallel.For(0, planes, Workers, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p) =>
        {
            float* from = (float*)xAddress + (p * length), to = (float*)yAddress + (p * length);
            float s = (float)scale[p], t = (float)shift[p];
            Vector256<float> vs = Vector256.Create(s), vt = Vector256.Create(t);
            long i = 0;
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> z = (Vector256.Load(from + i) * vs) + vt;
                (z * NormalCdf(z).Cdf).Store(to + i);
            }

            for (; i < length; i++)
            {
                float z = (from[i] * s) + t;
                to[i] = z * NormalCdf(z).Cdf;
            }
        });
    }

    /// <summary>
    /// The backward through GELU(x·scale[p] + shift[p]) up to the norm's output: gz = g·GELU'(z) with z recomputed from
    /// x, written to <paramref name="gz"/>, and per plane products[p] = Σ gz·x and sums[p] = Σ gz (float32).
    /// </summary>
    public static void GeluGradientSums(Tensor g, Tensor x, double[] scale, double[] shift, Tensor gz, double[] products, double[] sums)
    {
        nint gAddress = (nint)TensorData.Pointer<float>(g), xAddress = (nint)TensorData.Pointer<float>(x), outAddress = (nint)TensorData.Pointer<float>(gz);
        (int planes, int rows, int columns) = Shape(x);
        Parallel.For(0, planes, Workers, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p) =>
        {
            long start = (long)p * rows * columns;
            float s = (float)scale[p], t = (float)shift[p];
            Vector256<float> vs = Vector256.Create(s), vt = Vector256.Create(t);
            double product = 0, sum = 0;
            for (int h = 0; h < rows; h++)
            {
                long rowStart = start + ((long)h * columns);
                float* gRow = (float*)gAddress + rowStart, xRow = (float*)xAddress + rowStart, outRow = (float*)outAddress + rowStart;
                Vector256<float> vp = Vector256<float>.Zero, vsum = Vector256<float>.Zero;
                int i = 0;
                for (; i <= columns - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    Vector256<float> xv = Vector256.Load(xRow + i);
                    Vector256<float> z = (xv * vs) + vt;
                    (Vector256<float> cdf, Vector256<float> density) = NormalCdf(z);
                    Vector256<float> d = Vector256.Load(gRow + i) * (cdf + (z * density));
                    d.Store(outRow + i);
                    vp += d * xv;
                    vsum += d;
                }

                product += Vector256.Sum(vp);
                sum += Vector256.Sum(vsum);
                for (; i < columns; i++)
                {
                    float z = (xRow[i] * s) + t;
                    (float cdf, float density) = NormalCdf(z);
                    float d = gRow[i] * (cdf + (z * density));
                    outRow[i] = d;
                    product += (double)d * xRow[i];
                    sum += d;
                }
            }

            products[p] = product;
            sums[p] = sum;
        });
    }

    // Φ(z) and the normal density φ(z) = e^(−z²/2)/√(2π) for GELU(z) = z·Φ(z) and GELU'(z) = Φ(z) + z·φ(z), with
    // Φ(−|z|) = ½·erfc(|z|/√2) from Abramowitz & Stegun 7.1.26 (|error of erf| ≤ 1.5e-7, the order of float32
    // rounding); both share one exponential. The tail is evaluated directly, not as 1 − Φ(|z|), so it keeps its
    // relative accuracy where Φ is small.
    private const float ErfP = 0.3275911f, ErfA1 = 0.254829592f, ErfA2 = -0.284496736f, ErfA3 = 1.421413741f, ErfA4 = -1.453152027f, ErfA5 = 1.061405429f;
    private const float InverseSqrt2 = 0.70710678118654752f, InverseSqrt2Pi = 0.39894228040143268f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Cdf, Vector256<float> Density) NormalCdf(Vector256<float> z)
    {
        Vector256<float> one = Vector256<float>.One;
        Vector256<float> x = Vector256.Abs(z) * Vector256.Create(InverseSqrt2);
        Vector256<float> t = one / (one + (Vector256.Create(ErfP) * x));
        Vector256<float> poly = t * (Vector256.Create(ErfA1) + (t * (Vector256.Create(ErfA2) + (t * (Vector256.Create(ErfA3) + (t * (Vector256.Create(ErfA4) + (t * Vector256.Create(ErfA5)))))))));
        Vector256<float> e = ExpNonPositive(-(x * x));
        Vector256<float> tail = Vector256.Create(0.5f) * poly * e;
        Vector256<float> cdf = Vector256.ConditionalSelect(Vector256.LessThan(z, Vector256<float>.Zero), tail, one - tail);
        return (cdf, e * Vector256.Create(InverseSqrt2Pi));
    }

    private const float Log2E = 1.44269504088896341f, Ln2High = 0.693145751953125f, Ln2Low = 1.42860676533018e-6f;

    /// <summary>
    /// e^a for a ≤ 0, self-contained: <c>Vector256.Exp</c> is a CoreLib generic that is not inlined, and in a training
    /// run of seconds it still ran quick-jitted or instrumented (perf: ≈ 3 % of the U-Net step). Cody–Waite reduction
    /// a = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two so n·ln 2 is exact), e^r from its degree-7 Taylor polynomial
    /// (truncation ≤ 0.35⁸/8! ≈ 5e-9, below float rounding), and 2^n through the exponent bits. a is clamped at −87,
    /// where e^a ≈ 1.6e-38 is the smallest normal float's order and nothing that uses it changes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ExpNonPositive(Vector256<float> a)
    {
        a = Vector256.Max(a, Vector256.Create(-87f));
        Vector256<float> n = Vector256.Floor((a * Vector256.Create(Log2E)) + Vector256.Create(0.5f));
        Vector256<float> r = a - (n * Vector256.Create(Ln2High)) - (n * Vector256.Create(Ln2Low));
        Vector256<float> p = Vector256.Create(1f / 5040);
        p = (p * r) + Vector256.Create(1f / 720);
        p = (p * r) + Vector256.Create(1f / 120);
        p = (p * r) + Vector256.Create(1f / 24);
        p = (p * r) + Vector256.Create(1f / 6);
        p = (p * r) + Vector256.Create(0.5f);
        p = (p * r) + Vector256<float>.One;
        p = (p * r) + Vector256<float>.One;
        Vector256<int> scale = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        return p * scale.AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float Cdf, float Density) NormalCdf(float z)
    {
        float x = MathF.Abs(z) * InverseSqrt2;
        float t = 1 / (1 + (ErfP * x));
        float poly = t * (ErfA1 + (t * (ErfA2 + (t * (ErfA3 + (t * (ErfA4 + (t * ErfA5))))))));
        float e = MathF.Exp(-(x * x));
        float tail = 0.5f * poly * e;
        return (z < 0 ? tail : 1 - tail, e * InverseSqrt2Pi);
    }

    private static (int Planes, int Rows, int Columns) Shape(Tensor x) =>
        (checked((int)(x.shape[0] * x.shape[1])), checked((int)x.shape[2]), checked((int)x.shape[3]));

    private static void Moments<T>(T* x, (int Planes, int Rows, int Columns) shape, double[] rowWeights, double[] first, double[] second)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint address = (nint)x;
        (int _, int rows, int columns) = shape;
        Parallel.For(0, shape.Planes, Workers, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p) =>
        {
            T* plane = (T*)address + ((long)p * rows * columns);
            double m1 = 0, m2 = 0;
            for (int h = 0; h < rows; h++)
            {
                (double sum, double squares) = RowSums(plane + ((long)h * columns), columns);
                m1 += rowWeights[h] * sum;
                m2 += rowWeights[h] * squares;
            }

            first[p] = m1 / columns;
            second[p] = m2 / columns;
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double Sum, double Squares) RowSums<T>(T* row, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector256<T> sum = Vector256<T>.Zero, squares = Vector256<T>.Zero;
        int i = 0;
        for (; i <= length - Vector256<T>.Count; i += Vector256<T>.Count)
        {
            Vector256<T> v = Vector256.Load(row + i);
            sum += v;
            squares += v * v;
        }

        double s = double.CreateTruncating(Vector256.Sum(sum)), q = double.CreateTruncating(Vector256.Sum(squares));
        for (; i < length; i++)
        {
            double v = double.CreateTruncating(row[i]);
            s += v;
            q += v * v;
        }

        return (s, q);
    }

    private static void Affine<T>(T* x, (int Planes, int Rows, int Columns) shape, double[] scale, double[] shift, T* y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint xAddress = (nint)x, yAddress = (nint)y;
        long length = (long)shape.Rows * shape.Columns;
        Parallel.For(0, shape.Planes, Workers, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p) =>
        {
            T* source = (T*)xAddress + (p * length), destination = (T*)yAddress + (p * length);
            T s = T.CreateTruncating(scale[p]), t = T.CreateTruncating(shift[p]);
            Vector256<T> vs = Vector256.Create(s), vt = Vector256.Create(t);
            long i = 0;
            for (; i <= length - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                ((Vector256.Load(source + i) * vs) + vt).Store(destination + i);
            }

            for (; i < length; i++)
            {
                destination[i] = (source[i] * s) + t;
            }
        });
    }

    private static void ChannelSums<T>(T* g, T* x, (int Planes, int Rows, int Columns) shape, double[] products, double[] sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint gAddress = (nint)g, xAddress = (nint)x;
        (int _, int rows, int columns) = shape;
        Parallel.For(0, shape.Planes, Workers, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p) =>
        {
            long start = (long)p * rows * columns;
            double product = 0, sum = 0;
            for (int h = 0; h < rows; h++)
            {
                T* gRow = (T*)gAddress + start + ((long)h * columns), xRow = (T*)xAddress + start + ((long)h * columns);
                Vector256<T> vp = Vector256<T>.Zero, vs = Vector256<T>.Zero;
                int i = 0;
                for (; i <= columns - Vector256<T>.Count; i += Vector256<T>.Count)
                {
                    Vector256<T> vg = Vector256.Load(gRow + i);
                    vp += vg * Vector256.Load(xRow + i);
                    vs += vg;
                }

                product += double.CreateTruncating(Vector256.Sum(vp));
                sum += double.CreateTruncating(Vector256.Sum(vs));
                for (; i < columns; i++)
                {
                    double vg = double.CreateTruncating(gRow[i]);
                    product += vg * double.CreateTruncating(xRow[i]);
                    sum += vg;
                }
            }

            products[p] = product;
            sums[p] = sum;
        });
    }

    private static void InputGradient<T>(
        T* g, T* x, (int Planes, int Rows, int Columns) shape, double[] scale, double[] coefficient, double[] offset, double[] rowFactor, T* gradX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint gAddress = (nint)g, xAddress = (nint)x, outAddress = (nint)gradX;
        (int _, int rows, int columns) = shape;
        Parallel.For(0, shape.Planes, Workers, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p) =>
        {
            long start = (long)p * rows * columns;
            T s = T.CreateTruncating(scale[p]);
            Vector256<T> vs = Vector256.Create(s);
            for (int h = 0; h < rows; h++)
            {
                long rowStart = start + ((long)h * columns);
                T* gRow = (T*)gAddress + rowStart, xRow = (T*)xAddress + rowStart, outRow = (T*)outAddress + rowStart;
                T alpha = T.CreateTruncating(coefficient[p] * rowFactor[h]), beta = T.CreateTruncating(offset[p] * rowFactor[h]);
                Vector256<T> va = Vector256.Create(alpha), vb = Vector256.Create(beta);
                int i = 0;
                for (; i <= columns - Vector256<T>.Count; i += Vector256<T>.Count)
                {
                    ((Vector256.Load(gRow + i) * vs) + (Vector256.Load(xRow + i) * va) + vb).Store(outRow + i);
                }

                for (; i < columns; i++)
                {
                    outRow[i] = (gRow[i] * s) + (xRow[i] * alpha) + beta;
                }
            }
        });
    }
}

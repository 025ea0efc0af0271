using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// The channel mixing of the fused CPU convolution, a small dense product
/// <code>c[o·ldc + n] = Σ_m a[o·m_count + m] · b[m·ldb + n],   o &lt; rows, n &lt; columns</code>
/// where a is the weight (Cout × Cin·K), b a block of the K-expanded contraction output that is still in cache, and c
/// the output rows of the block. A 4 × 3-vector register block keeps 12 accumulators (within AVX2's 16 registers) while
/// b's rows stream by, so each m costs 3 vector loads and 4 broadcasts for 12 FMAs.
/// Callers guarantee that every row of b is readable up to the next multiple of the vector count past columns.
/// </summary>
internal static unsafe class CpuMixKernel
{
    /// <summary>Computes c (overwrites it); see the class summary.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<T>(T* a, int rows, int mCount, T* b, int ldb, int columns, T* c, int ldc, bool allowVector512 = true)
        where T : unmanaged
    {
        if (allowVector512 && Vector512.IsHardwareAccelerated)
        {
            Multiply<T, Vector512<T>, Simd512<T>>(a, rows, mCount, b, ldb, columns, c, ldc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Multiply<T, Vector256<T>, Simd256<T>>(a, rows, mCount, b, ldb, columns, c, ldc);
        }
        else
        {
            Multiply<T, Vector128<T>, Simd128<T>>(a, rows, mCount, b, ldb, columns, c, ldc);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Multiply<T, TVector, TOps>(T* a, int rows, int mCount, T* b, int ldb, int columns, T* c, int ldc)
        where T : unmanaged
        where TVector : struct
        where TOps : ISimdOps<T, TVector>
    {
        int lanes = TOps.Count;
        int wide = 3 * lanes;
        int n = 0;

        // Column panels outermost: one panel of b (mCount × 3 vectors) is reused by every row block while in cache.
        for (; n + wide <= columns; n += wide)
        {
            int o = 0;
            for (; o + 4 <= rows; o += 4)
            {
                Block4x3<T, TVector, TOps>(a + ((long)o * mCount), mCount, b + n, ldb, c + ((long)o * ldc) + n, ldc);
            }

            for (; o < rows; o++)
            {
                Block1x3<T, TVector, TOps>(a + ((long)o * mCount), mCount, b + n, ldb, c + ((long)o * ldc) + n);
            }
        }

        // Remaining whole vectors, then a last partial vector through a stack buffer (b is readable past columns).
        T* scratch = stackalloc T[lanes];
        for (; n < columns; n += lanes)
        {
            int width = Math.Min(lanes, columns - n);
            for (int o = 0; o < rows; o++)
            {
                T* target = width == lanes ? c + ((long)o * ldc) + n : scratch;
                Block1x1<T, TVector, TOps>(a + ((long)o * mCount), mCount, b + n, ldb, target);
                if (width < lanes)
                {
                    new Span<T>(scratch, width).CopyTo(new Span<T>(c + ((long)o * ldc) + n, width));
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x3<T, TVector, TOps>(T* a, int mCount, T* b, int ldb, T* c, int ldc)
        where T : unmanaged
        where TVector : struct
        where TOps : ISimdOps<T, TVector>
    {
        int w = TOps.Count;
        TVector c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero;
        TVector c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero;
        TVector c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero;
        TVector c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero;
        T* a0 = a, a1 = a + mCount, a2 = a + (2 * mCount), a3 = a + (3 * mCount);
        for (int m = 0; m < mCount; m++)
        {
            T* row = b + ((long)m * ldb);
            TVector b0 = TOps.Load(ref row[0]);
            TVector b1 = TOps.Load(ref row[w]);
            TVector b2 = TOps.Load(ref row[2 * w]);
            TVector v = TOps.Broadcast(a0[m]);
            c00 = TOps.MultiplyAdd(v, b0, c00);
            c01 = TOps.MultiplyAdd(v, b1, c01);
            c02 = TOps.MultiplyAdd(v, b2, c02);
            v = TOps.Broadcast(a1[m]);
            c10 = TOps.MultiplyAdd(v, b0, c10);
            c11 = TOps.MultiplyAdd(v, b1, c11);
            c12 = TOps.MultiplyAdd(v, b2, c12);
            v = TOps.Broadcast(a2[m]);
            c20 = TOps.MultiplyAdd(v, b0, c20);
            c21 = TOps.MultiplyAdd(v, b1, c21);
            c22 = TOps.MultiplyAdd(v, b2, c22);
            v = TOps.Broadcast(a3[m]);
            c30 = TOps.MultiplyAdd(v, b0, c30);
            c31 = TOps.MultiplyAdd(v, b1, c31);
            c32 = TOps.MultiplyAdd(v, b2, c32);
        }

        TOps.Store(c00, ref c[0]);
        TOps.Store(c01, ref c[w]);
        TOps.Store(c02, ref c[2 * w]);
        c += ldc;
        TOps.Store(c10, ref c[0]);
        TOps.Store(c11, ref c[w]);
        TOps.Store(c12, ref c[2 * w]);
        c += ldc;
        TOps.Store(c20, ref c[0]);
        TOps.Store(c21, ref c[w]);
        TOps.Store(c22, ref c[2 * w]);
        c += ldc;
        TOps.Store(c30, ref c[0]);
        TOps.Store(c31, ref c[w]);
        TOps.Store(c32, ref c[2 * w]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1x3<T, TVector, TOps>(T* a, int mCount, T* b, int ldb, T* c)
        where T : unmanaged
        where TVector : struct
        where TOps : ISimdOps<T, TVector>
    {
        int w = TOps.Count;
        TVector c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero;
        for (int m = 0; m < mCount; m++)
        {
            T* row = b + ((long)m * ldb);
            TVector v = TOps.Broadcast(a[m]);
            c0 = TOps.MultiplyAdd(v, TOps.Load(ref row[0]), c0);
            c1 = TOps.MultiplyAdd(v, TOps.Load(ref row[w]), c1);
            c2 = TOps.MultiplyAdd(v, TOps.Load(ref row[2 * w]), c2);
        }

        TOps.Store(c0, ref c[0]);
        TOps.Store(c1, ref c[w]);
        TOps.Store(c2, ref c[2 * w]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1x1<T, TVector, TOps>(T* a, int mCount, T* b, int ldb, T* c)
        where T : unmanaged
        where TVector : struct
        where TOps : ISimdOps<T, TVector>
    {
        // Two accumulators over alternating m halve the dependency chain of this latency-bound tail.
        TVector c0 = TOps.Zero, c1 = TOps.Zero;
        int m = 0;
        for (; m + 1 < mCount; m += 2)
        {
            c0 = TOps.MultiplyAdd(TOps.Broadcast(a[m]), TOps.Load(ref b[(long)m * ldb]), c0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(a[m + 1]), TOps.Load(ref b[(long)(m + 1) * ldb]), c1);
        }

        if (m < mCount)
        {
            c0 = TOps.MultiplyAdd(TOps.Broadcast(a[m]), TOps.Load(ref b[(long)m * ldb]), c0);
        }

        TOps.Store(TOps.Add(c0, c1), ref c[0]);
    }
}

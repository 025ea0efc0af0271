using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// The channel mixing of the fused CPU convolution, a small dense product
/// <code>c[o·ldc + n] = Σ_m a[o·m_count + m] · b[m·ldb + n],   o &lt; rows, n &lt; columns</code>
/// where a is the weight (Cout × Cin·K), b a block of the K-expanded contraction output that is still in cache, and c
/// the output rows of the block. A 4 × 3-vector register block keeps 12 accumulators (within AVX2's 16 registers) while
/// b's rows stream by, so each m costs 3 vector loads and 4 broadcasts for 12 FMAs.
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

        // Remaining whole vectors; a last partial vector is recomputed as the full vector ending at the last column
        // (outputs depend only on their column, so the overlap rewrites equal values and nothing is read past the end).
        for (; n < columns; n += lanes)
        {
            int at = Math.Min(n, columns - lanes);
            if (at < 0)
            {
                NarrowColumns<T, TVector, TOps>(a, rows, mCount, b, ldb, columns, c, ldc);
                return;
            }

            for (int o = 0; o < rows; o++)
            {
                Block1x1<T, TVector, TOps>(a + ((long)o * mCount), mCount, b + at, ldb, c + ((long)o * ldc) + at);
            }
        }
    }

    // Fewer columns than one vector: b's columns go through a zero-padded copy, c through a stack buffer.
    private static void NarrowColumns<T, TVector, TOps>(T* a, int rows, int mCount, T* b, int ldb, int columns, T* c, int ldc)
        where T : unmanaged
        where TVector : struct
        where TOps : ISimdOps<T, TVector>
    {
        int lanes = TOps.Count;
        T[] padded = new T[mCount * lanes];
        T* result = stackalloc T[lanes];
        fixed (T* bp = padded)
        {
            for (int m = 0; m < mCount; m++)
            {
                new Span<T>(b + ((long)m * ldb), columns).CopyTo(new Span<T>(bp + (m * lanes), columns));
            }

            for (int o = 0; o < rows; o++)
            {
                Block1x1<T, TVector, TOps>(a + ((long)o * mCount), mCount, bp, lanes, result);
                new Span<T>(result, columns).CopyTo(new Span<T>(c + ((long)o * ldc), columns));
            }
        }
    }

    /// <summary>
    /// Accumulates the "a·bᵀ" product <c>c[o·cols + m] += Σ_n a[o·lda + n] · b[m·ldb + n]</c> over n &lt; length, where
    /// length is a multiple of 16 (every vector width divides it): the weight gradient of the mixing, with a the
    /// output gradient and b the K-expanded contraction. 4 × 3 blocks of vector accumulators, summed across lanes at
    /// the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyTransposedAccumulate<T>(T* a, int rows, int lda, T* b, int mCount, int ldb, int length, T* c, bool allowVector512 = true)
        where T : unmanaged
    {
        if (allowVector512 && Vector512.IsHardwareAccelerated)
        {
            MultiplyTransposedAccumulate<T, Vector512<T>, Simd512<T>>(a, rows, lda, b, mCount, ldb, length, c);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            MultiplyTransposedAccumulate<T, Vector256<T>, Simd256<T>>(a, rows, lda, b, mCount, ldb, length, c);
        }
        else
        {
            MultiplyTransposedAccumulate<T, Vector128<T>, Simd128<T>>(a, rows, lda, b, mCount, ldb, length, c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyTransposedAccumulate<T, TVector, TOps>(T* a, int rows, int lda, T* b, int mCount, int ldb, int length, T* c)
        where T : unmanaged
        where TVector : struct
        where TOps : ISimdOps<T, TVector>
    {
        int lanes = TOps.Count;
        for (int o = 0; o < rows; o += 4)
        {
            int rowCount = Math.Min(4, rows - o);
            for (int m = 0; m < mCount; m += 3)
            {
                int columnCount = Math.Min(3, mCount - m);
                if (rowCount == 4 && columnCount == 3)
                {
                    Dot4x3<T, TVector, TOps>(a + ((long)o * lda), lda, b + ((long)m * ldb), ldb, length, c + ((long)o * mCount) + m, mCount);
                    continue;
                }

                for (int r = 0; r < rowCount; r++)
                {
                    for (int q = 0; q < columnCount; q++)
                    {
                        T* ar = a + ((long)(o + r) * lda), br = b + ((long)(m + q) * ldb);
                        TVector sum = TOps.Zero;
                        for (int n = 0; n < length; n += lanes)
                        {
                            sum = TOps.MultiplyAdd(TOps.Load(ref ar[n]), TOps.Load(ref br[n]), sum);
                        }

                        T* target = c + ((long)(o + r) * mCount) + m + q;
                        *target = TOps.AddScalar(*target, TOps.Sum(sum));
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4x3<T, TVector, TOps>(T* a, int lda, T* b, int ldb, int length, T* c, int ldc)
        where T : unmanaged
        where TVector : struct
        where TOps : ISimdOps<T, TVector>
    {
        TVector s00 = TOps.Zero, s01 = TOps.Zero, s02 = TOps.Zero;
        TVector s10 = TOps.Zero, s11 = TOps.Zero, s12 = TOps.Zero;
        TVector s20 = TOps.Zero, s21 = TOps.Zero, s22 = TOps.Zero;
        TVector s30 = TOps.Zero, s31 = TOps.Zero, s32 = TOps.Zero;
        T* a0 = a, a1 = a + lda, a2 = a + (2L * lda), a3 = a + (3L * lda);
        T* b0 = b, b1 = b + ldb, b2 = b + (2L * ldb);
        for (int n = 0; n < length; n += TOps.Count)
        {
            TVector v0 = TOps.Load(ref b0[n]), v1 = TOps.Load(ref b1[n]), v2 = TOps.Load(ref b2[n]);
            TVector u = TOps.Load(ref a0[n]);
            s00 = TOps.MultiplyAdd(u, v0, s00);
            s01 = TOps.MultiplyAdd(u, v1, s01);
            s02 = TOps.MultiplyAdd(u, v2, s02);
            u = TOps.Load(ref a1[n]);
            s10 = TOps.MultiplyAdd(u, v0, s10);
            s11 = TOps.MultiplyAdd(u, v1, s11);
            s12 = TOps.MultiplyAdd(u, v2, s12);
            u = TOps.Load(ref a2[n]);
            s20 = TOps.MultiplyAdd(u, v0, s20);
            s21 = TOps.MultiplyAdd(u, v1, s21);
            s22 = TOps.MultiplyAdd(u, v2, s22);
            u = TOps.Load(ref a3[n]);
            s30 = TOps.MultiplyAdd(u, v0, s30);
            s31 = TOps.MultiplyAdd(u, v1, s31);
            s32 = TOps.MultiplyAdd(u, v2, s32);
        }

        AddSums<T, TVector, TOps>(c, s00, s01, s02);
        AddSums<T, TVector, TOps>(c + ldc, s10, s11, s12);
        AddSums<T, TVector, TOps>(c + (2L * ldc), s20, s21, s22);
        AddSums<T, TVector, TOps>(c + (3L * ldc), s30, s31, s32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddSums<T, TVector, TOps>(T* c, TVector s0, TVector s1, TVector s2)
        where T : unmanaged
        where TVector : struct
        where TOps : ISimdOps<T, TVector>
    {
        c[0] = TOps.AddScalar(c[0], TOps.Sum(s0));
        c[1] = TOps.AddScalar(c[1], TOps.Sum(s1));
        c[2] = TOps.AddScalar(c[2], TOps.Sum(s2));
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

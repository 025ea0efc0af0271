using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// The inner loop shared by both directions of the CPU contraction, a "shifted row correlation":
/// <code>destination[q] = Σ_n values[n] · source[offsets[n] + q],   q = 0 … width−1</code>
/// Forward, source is the phase-split input row buffer and offsets select (input row, phase, start longitude);
/// adjoint, source is the doubled z buffer. Every read is a contiguous run, so the loop is pure SIMD.
/// Callers guarantee that source[offsets[n] + q] is readable for q &lt; max(width, vector count).
/// </summary>
internal static unsafe class CpuDiscoKernel
{
    /// <summary>Elements per SIMD register for T on this machine (16 floats with AVX-512, 8 with AVX2).</summary>
    public static int VectorCount<T>()
        where T : unmanaged
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return Vector512<T>.Count;
        }

        return Vector256.IsHardwareAccelerated ? Vector256<T>.Count : Vector128<T>.Count;
    }

    /// <summary>Name of the register width in use, for reports.</summary>
    public static string VectorWidthName =>
        Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : "Vector128";

    /// <summary>
    /// Computes one output row; see the class summary. An empty row writes zeros. <paramref name="allowVector512"/> false
    /// forces the Vector256 path even on AVX-512 hardware (tests run both paths on one machine).
    /// </summary>
    /// <remarks>
    /// The hot methods of the CPU contraction are compiled fully optimised on first use: with tiered compilation they
    /// start unoptimised and are promoted by a background thread, which on a busy machine took longer than a whole
    /// benchmark run (forward measured 2–4× slower than forward+backward, which ran later).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CorrelateRow<T>(T* source, int* offsets, T* values, int count, T* destination, int width, bool allowVector512 = true)
        where T : unmanaged
    {
        if (count == 0)
        {
            new Span<T>(destination, width).Clear();
        }
        else if (allowVector512 && Vector512.IsHardwareAccelerated)
        {
            CorrelateRow<T, Vector512<T>, Simd512<T>>(source, offsets, values, count, destination, width);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            CorrelateRow<T, Vector256<T>, Simd256<T>>(source, offsets, values, count, destination, width);
        }
        else
        {
            CorrelateRow<T, Vector128<T>, Simd128<T>>(source, offsets, values, count, destination, width);
        }
    }

    // Register blocking: a block of 8 (or 4, or 1) vectors of consecutive outputs stays in registers while the row's
    // entries stream by, so each entry costs one broadcast and 8 loads + FMAs, and 8 independent accumulators cover
    // the FMA latency. Outputs are pure functions of q, so the last block may overlap the previous one instead of
    // needing a scalar tail; only rows narrower than one vector go through a stack buffer.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CorrelateRow<T, TVector, TOps>(T* source, int* offsets, T* values, int count, T* destination, int width)
        where T : unmanaged
        where TVector : struct
        where TOps : ISimdOps<T, TVector>
    {
        int lanes = TOps.Count;
        int q = 0;
        while (q < width)
        {
            int remaining = width - q;
            if (remaining >= 8 * lanes)
            {
                Block8<T, TVector, TOps>(source + q, offsets, values, count, destination + q);
                q += 8 * lanes;
            }
            else if (remaining > 4 * lanes && width >= 8 * lanes)
            {
                Block8<T, TVector, TOps>(source + (width - (8 * lanes)), offsets, values, count, destination + (width - (8 * lanes)));
                break;
            }
            else if (remaining >= 4 * lanes)
            {
                Block4<T, TVector, TOps>(source + q, offsets, values, count, destination + q);
                q += 4 * lanes;
            }
            else if (remaining > lanes && width >= 4 * lanes)
            {
                Block4<T, TVector, TOps>(source + (width - (4 * lanes)), offsets, values, count, destination + (width - (4 * lanes)));
                break;
            }
            else if (remaining >= lanes)
            {
                Block1<T, TVector, TOps>(source + q, offsets, values, count, destination + q);
                q += lanes;
            }
            else if (width >= lanes)
            {
                Block1<T, TVector, TOps>(source + (width - lanes), offsets, values, count, destination + (width - lanes));
                break;
            }
            else
            {
                T* scratch = stackalloc T[lanes];
                Block1<T, TVector, TOps>(source, offsets, values, count, scratch);
                new Span<T>(scratch, width).CopyTo(new Span<T>(destination, width));
                break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8<T, TVector, TOps>(T* source, int* offsets, T* values, int count, T* destination)
        where T : unmanaged
        where TVector : struct
        where TOps : ISimdOps<T, TVector>
    {
        int w = TOps.Count;
        TVector a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
        TVector a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
        for (int n = 0; n < count; n++)
        {
            TVector v = TOps.Broadcast(values[n]);
            T* s = source + offsets[n];
            a0 = TOps.MultiplyAdd(v, TOps.Load(ref s[0]), a0);
            a1 = TOps.MultiplyAdd(v, TOps.Load(ref s[w]), a1);
            a2 = TOps.MultiplyAdd(v, TOps.Load(ref s[2 * w]), a2);
            a3 = TOps.MultiplyAdd(v, TOps.Load(ref s[3 * w]), a3);
            a4 = TOps.MultiplyAdd(v, TOps.Load(ref s[4 * w]), a4);
            a5 = TOps.MultiplyAdd(v, TOps.Load(ref s[5 * w]), a5);
            a6 = TOps.MultiplyAdd(v, TOps.Load(ref s[6 * w]), a6);
            a7 = TOps.MultiplyAdd(v, TOps.Load(ref s[7 * w]), a7);
        }

        TOps.Store(a0, ref destination[0]);
        TOps.Store(a1, ref destination[w]);
        TOps.Store(a2, ref destination[2 * w]);
        TOps.Store(a3, ref destination[3 * w]);
        TOps.Store(a4, ref destination[4 * w]);
        TOps.Store(a5, ref destination[5 * w]);
        TOps.Store(a6, ref destination[6 * w]);
        TOps.Store(a7, ref destination[7 * w]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4<T, TVector, TOps>(T* source, int* offsets, T* values, int count, T* destination)
        where T : unmanaged
        where TVector : struct
        where TOps : ISimdOps<T, TVector>
    {
        int w = TOps.Count;
        TVector a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
        for (int n = 0; n < count; n++)
        {
            TVector v = TOps.Broadcast(values[n]);
            T* s = source + offsets[n];
            a0 = TOps.MultiplyAdd(v, TOps.Load(ref s[0]), a0);
            a1 = TOps.MultiplyAdd(v, TOps.Load(ref s[w]), a1);
            a2 = TOps.MultiplyAdd(v, TOps.Load(ref s[2 * w]), a2);
            a3 = TOps.MultiplyAdd(v, TOps.Load(ref s[3 * w]), a3);
        }

        TOps.Store(a0, ref destination[0]);
        TOps.Store(a1, ref destination[w]);
        TOps.Store(a2, ref destination[2 * w]);
        TOps.Store(a3, ref destination[3 * w]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1<T, TVector, TOps>(T* source, int* offsets, T* values, int count, T* destination)
        where T : unmanaged
        where TVector : struct
        where TOps : ISimdOps<T, TVector>
    {
        // Two accumulators over alternating entries halve the dependency chain of this latency-bound case.
        TVector a0 = TOps.Zero, a1 = TOps.Zero;
        int n = 0;
        for (; n + 1 < count; n += 2)
        {
            a0 = TOps.MultiplyAdd(TOps.Broadcast(values[n]), TOps.Load(ref source[offsets[n]]), a0);
            a1 = TOps.MultiplyAdd(TOps.Broadcast(values[n + 1]), TOps.Load(ref source[offsets[n + 1]]), a1);
        }

        if (n < count)
        {
            a0 = TOps.MultiplyAdd(TOps.Broadcast(values[n]), TOps.Load(ref source[offsets[n]]), a0);
        }

        TOps.Store(TOps.Add(a0, a1), ref destination[0]);
    }
}

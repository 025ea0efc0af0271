using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// Splits an input longitude row into its s = 2 phases (even and odd longitudes) for the downsampling layout.
/// A scalar strided copy costs about as much as a third of the whole contraction at 361×720 → 181×360, so the
/// common s = 2 case de-interleaves whole registers with shuffles.
/// </summary>
internal static unsafe class PhaseSplit
{
    /// <summary>even[j] = row[2j], odd[j] = row[2j + 1] for j &lt; count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pairs<T>(T* row, T* even, T* odd, int count)
        where T : unmanaged
    {
        int j = 0;
        if (Avx2.IsSupported && typeof(T) == typeof(float))
        {
            float* input = (float*)row, evenOut = (float*)even, oddOut = (float*)odd;
            for (; j + 8 <= count; j += 8)
            {
                Vector256<float> a = Avx.LoadVector256(input + (2 * j));
                Vector256<float> b = Avx.LoadVector256(input + (2 * j) + 8);

                // Per 128-bit lane: [a0 a2 b0 b2 | a4 a6 b4 b6]; then reorder the 64-bit pairs to [a0 a2 a4 a6 b0 b2 b4 b6].
                Vector256<float> evens = Avx.Shuffle(a, b, 0b10_00_10_00);
                Vector256<float> odds = Avx.Shuffle(a, b, 0b11_01_11_01);
                Avx.Store(evenOut + j, Avx2.Permute4x64(evens.AsDouble(), 0b11_01_10_00).AsSingle());
                Avx.Store(oddOut + j, Avx2.Permute4x64(odds.AsDouble(), 0b11_01_10_00).AsSingle());
            }
        }
        else if (Avx2.IsSupported && typeof(T) == typeof(double))
        {
            double* input = (double*)row, evenOut = (double*)even, oddOut = (double*)odd;
            for (; j + 4 <= count; j += 4)
            {
                Vector256<double> a = Avx.LoadVector256(input + (2 * j));
                Vector256<double> b = Avx.LoadVector256(input + (2 * j) + 4);

                // [a0 b0 a2 b2] and [a1 b1 a3 b3], then reorder to [a0 a2 b0 b2] and [a1 a3 b1 b3].
                Avx.Store(evenOut + j, Avx2.Permute4x64(Avx.UnpackLow(a, b), 0b11_01_10_00));
                Avx.Store(oddOut + j, Avx2.Permute4x64(Avx.UnpackHigh(a, b), 0b11_01_10_00));
            }
        }

        for (; j < count; j++)
        {
            even[j] = row[2 * j];
            odd[j] = row[(2 * j) + 1];
        }
    }
}

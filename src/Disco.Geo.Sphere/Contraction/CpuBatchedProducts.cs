using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// The two dense products of a channel mixing over a plane of grid points, batched and shared by the cores in column
/// blocks of the plane: <c>c[b] = a · source[b]</c> (the mixing and its input gradient) and <c>c += Σ_b a[b] · source[b]ᵀ</c>
/// (its weight gradient). The DISCO layer's mixing (a = W: Cout × Cin·K) and the 1×1 convolution (a = W: Cout × Cin)
/// are both this; the kernels are <see cref="CpuMixKernel"/>'s.
/// </summary>
internal static unsafe class CpuBatchedProducts
{
    private static readonly ParallelOptions Workers = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    /// <summary>
    /// c[b] = a · source[b] (+ bias[o] on row o when bias is not null) for every batch b, with a: rows × inner,
    /// source[b]: inner × plane and c[b]: rows × plane, all row-major and contiguous. Each column block writes its
    /// own columns of every row of c, and adds the bias while they are in cache.
    /// </summary>
    public static void Multiply<T>(T* a, int rows, int inner, T* source, T* c, int batch, int plane, bool allowVector512, T* bias = null)
        where T : unmanaged
    {
        const int blockColumns = 1536;
        int blocks = (plane + blockColumns - 1) / blockColumns;
        nint aAddress = (nint)a, sourceAddress = (nint)source, cAddress = (nint)c, biasAddress = (nint)bias;
        Parallel.For(0, batch * blocks, Workers, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (index) =>
        {
            int b = index / blocks, n0 = index % blocks * blockColumns, length = Math.Min(blockColumns, plane - n0);
            T* target = (T*)cAddress + ((long)b * rows * plane) + n0;
            CpuMixKernel.Multiply((T*)aAddress, rows, inner, (T*)sourceAddress + ((long)b * inner * plane) + n0, plane, length, target, plane, allowVector512);
            if (biasAddress != 0)
            {
                for (int o = 0; o < rows; o++)
                {
                    AddConstant(new Span<T>(target + ((long)o * plane), length), ((T*)biasAddress)[o]);
                }
            }
        });
    }

    /// <summary>
    /// c[o·mCount + m] += Σ_{b,n} a[b][o·plane + n] · source[b][m·plane + n], with a[b]: rows × plane and
    /// source[b]: mCount × plane. Each core sums into its own copy of the (small) c, and the copies are added at the
    /// end; a block's last columns that do not fill 16 go through zero-padded copies.
    /// </summary>
    public static void MultiplyTransposedSum<T>(T* a, int rows, T* source, int mCount, T* c, int batch, int plane, bool allowVector512)
        where T : unmanaged
    {
        const int blockColumns = 1024;
        int blocks = (plane + blockColumns - 1) / blockColumns;
        long gradientLength = (long)rows * mCount;
        long scratchLength = (long)(rows + mCount) * 16;
        nint aAddress = (nint)a, sourceAddress = (nint)source, cAddress = (nint)c;
        object gate = new();
        Parallel.For(
            0,
            batch * blocks,
            Workers,
            () =>
            {
                nint buffer = (nint)NativeMemory.AlignedAlloc((nuint)((gradientLength + scratchLength) * sizeof(T)), 64);
                new Span<T>((void*)buffer, checked((int)(gradientLength + scratchLength))).Clear();
                return buffer;
            },
            (index, _, buffer) =>
            {
                int b = index / blocks, n0 = index % blocks * blockColumns;
                int length = Math.Min(blockColumns, plane - n0), full = length / 16 * 16;
                T* ab = (T*)aAddress + ((long)b * rows * plane) + n0;
                T* sb = (T*)sourceAddress + ((long)b * mCount * plane) + n0;
                T* partial = (T*)buffer;
                if (full > 0)
                {
                    CpuMixKernel.MultiplyTransposedAccumulate(ab, rows, plane, sb, mCount, plane, full, partial, allowVector512);
                }

                if (full < length)
                {
                    T* tailA = partial + gradientLength, tailB = tailA + ((long)rows * 16);
                    int tail = length - full;
                    for (int o = 0; o < rows; o++)
                    {
                        new Span<T>(ab + ((long)o * plane) + full, tail).CopyTo(new Span<T>(tailA + (o * 16), tail));
                    }

                    for (int m = 0; m < mCount; m++)
                    {
                        new Span<T>(sb + ((long)m * plane) + full, tail).CopyTo(new Span<T>(tailB + (m * 16), tail));
                    }

                    CpuMixKernel.MultiplyTransposedAccumulate(tailA, rows, 16, tailB, mCount, 16, 16, partial, allowVector512);
                }

                return buffer;
            },
            buffer =>
            {
                lock (gate)
                {
                    T* target = (T*)cAddress, partial = (T*)buffer;
                    for (long n = 0; n < gradientLength; n++)
                    {
                        target[n] = Simd128<T>.AddScalar(target[n], partial[n]);
                    }
                }

                NativeMemory.AlignedFree((void*)buffer);
            });
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddConstant<T>(Span<T> row, T value)
        where T : unmanaged
    {
        Span<Vector<T>> vectors = MemoryMarshal.Cast<T, Vector<T>>(row);
        Vector<T> constant = new(value);
        for (int i = 0; i < vectors.Length; i++)
        {
            vectors[i] += constant;
        }

        for (int i = vectors.Length * Vector<T>.Count; i < row.Length; i++)
        {
            row[i] = Simd128<T>.AddScalar(row[i], value);
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// One direction of the CPU contraction in the form <see cref="CpuDiscoKernel"/> consumes: per output row, the
/// entries' element offsets into the per-(batch, channel) source buffer and their values. Exact zeros are left out.
/// Arrays live on the pinned object heap so the kernel can hold raw pointers to them without pinning per call.
/// </summary>
internal sealed unsafe class ShiftedRowPlan
{
    private readonly double[] _values;
    private float[]? _singleValues;

    /// <param name="rowStarts">Length rows + 1; entries of row r are [rowStarts[r], rowStarts[r+1]).</param>
    /// <param name="offsets">Element offset of each entry into the source buffer.</param>
    /// <param name="values">Value of each entry.</param>
    public ShiftedRowPlan(int[] rowStarts, int[] offsets, double[] values)
    {
        RowCount = rowStarts.Length - 1;
        RowStarts = Pinned(rowStarts);
        Offsets = Pinned(offsets);
        _values = Pinned(values);
    }

    public int RowCount { get; }

    public int[] RowStarts { get; }

    public int[] Offsets { get; }

    public int EntryCount => Offsets.Length;

    /// <summary>Pointer to the first row start (valid for the plan's lifetime: the array is pinned).</summary>
    public int* RowStartsPointer => (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(RowStarts));

    public int* OffsetsPointer => (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Offsets));

    /// <summary>Pointer to the values converted to T (float32 values are made once, on first use).</summary>
    public T* ValuesPointer<T>()
        where T : unmanaged
    {
        if (typeof(T) == typeof(double))
        {
            return (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_values));
        }

        if (typeof(T) == typeof(float))
        {
            float[] single = _singleValues ??= Pinned(Array.ConvertAll(_values, v => (float)v));
            return (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(single));
        }

        throw new NotSupportedException($"{typeof(T)} is not a supported element type.");
    }

    /// <summary>
    /// Builds a plan from (row, offset, value) triples by a stable counting sort on row, then sorts each row by offset
    /// so consecutive entries read nearby memory.
    /// </summary>
    public static ShiftedRowPlan FromTriples(int rowCount, int[] rows, int[] offsets, double[] values)
    {
        int[] starts = new int[rowCount + 1];
        foreach (int row in rows)
        {
            starts[row + 1]++;
        }

        for (int r = 0; r < rowCount; r++)
        {
            starts[r + 1] += starts[r];
        }

        int[] next = (int[])starts.Clone();
        int[] sortedOffsets = new int[offsets.Length];
        double[] sortedValues = new double[values.Length];
        for (int n = 0; n < rows.Length; n++)
        {
            int at = next[rows[n]]++;
            sortedOffsets[at] = offsets[n];
            sortedValues[at] = values[n];
        }

        for (int r = 0; r < rowCount; r++)
        {
            Array.Sort(sortedOffsets, sortedValues, starts[r], starts[r + 1] - starts[r]);
        }

        return new ShiftedRowPlan(starts, sortedOffsets, sortedValues);
    }

    private static TElement[] Pinned<TElement>(TElement[] array)
        where TElement : unmanaged
    {
        TElement[] pinned = GC.AllocateUninitializedArray<TElement>(array.Length, pinned: true);
        array.CopyTo(pinned, 0);
        return pinned;
    }
}

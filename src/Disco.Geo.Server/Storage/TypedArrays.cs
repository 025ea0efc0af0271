using System.Runtime.InteropServices;
using Disco.Geo.Protos.V1;
using Google.Protobuf;

namespace Disco.Geo.Server.Storage;

/// <summary>Builds <see cref="TypedArray"/> messages (little-endian, row-major bytes).</summary>
internal static class TypedArrays
{
    /// <summary>
    /// Rows [rowOffset, rowOffset + rows) of every band out of <paramref name="values"/> laid out
    /// [bands, totalRows, nlon], as a float32 array [bands, rows, nlon].
    /// </summary>
    public static TypedArray Float32(int bands, int rows, int nlon, ReadOnlySpan<float> values, int totalRows, int rowOffset)
    {
        byte[] data = new byte[(long)bands * rows * nlon * sizeof(float)];
        Span<float> target = MemoryMarshal.Cast<byte, float>(data.AsSpan());
        for (int b = 0; b < bands; b++)
        {
            values.Slice(((b * totalRows) + rowOffset) * nlon, rows * nlon).CopyTo(target.Slice(b * rows * nlon, rows * nlon));
        }

        return new TypedArray { Dtype = DataType.Float32, Shape = { bands, rows, nlon }, Data = UnsafeByteOperations.UnsafeWrap(data) };
    }
}

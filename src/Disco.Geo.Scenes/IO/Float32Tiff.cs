using System.Buffers.Binary;
using System.IO.Compression;

namespace Disco.Geo.Scenes.IO;

/// <summary>
/// Writes one band of 32-bit floats as a baseline TIFF (little-endian, one Deflate-compressed strip, SampleFormat
/// IEEE float), which GDAL and every GIS read as Float32. No georeferencing: the server takes a 2:1 image without it
/// as the whole sphere, which is exactly an equirectangular panorama.
/// </summary>
internal static class Float32Tiff
{
    private const ushort Short = 3;
    private const ushort Long = 4;

    public static void Write(string path, int width, int height, float[] values)
    {
        if (values.Length != width * height)
        {
            throw new ArgumentException($"Expected {width * height} values for a {width}x{height} image, got {values.Length}.", nameof(values));
        }

        byte[] raw = new byte[4 * values.Length];
        for (int k = 0; k < values.Length; k++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4 * k), values[k]);
        }

        byte[] strip;
        using (MemoryStream compressed = new())
        {
            using (ZLibStream zlib = new(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                zlib.Write(raw);
            }

            strip = compressed.ToArray();
        }

        (ushort Tag, ushort Type, uint Count, uint Value)[] tags =
        [
            (256, Long, 1, (uint)width),          // ImageWidth
            (257, Long, 1, (uint)height),         // ImageLength
            (258, Short, 1, 32),                  // BitsPerSample
            (259, Short, 1, 8),                   // Compression: Deflate (zlib)
            (262, Short, 1, 1),                   // PhotometricInterpretation: BlackIsZero
            (273, Long, 1, 0),                    // StripOffsets (patched below)
            (277, Short, 1, 1),                   // SamplesPerPixel
            (278, Long, 1, (uint)height),         // RowsPerStrip: one strip
            (279, Long, 1, (uint)strip.Length),   // StripByteCounts
            (284, Short, 1, 1),                   // PlanarConfiguration: contiguous
            (339, Short, 1, 3),                   // SampleFormat: IEEE floating point
        ];

        // Layout: header (8 bytes) | IFD | strip.
        int stripOffset = 8 + 2 + 12 * tags.Length + 4;
        byte[] file = new byte[stripOffset + strip.Length];
        file[0] = (byte)'I';
        file[1] = (byte)'I';
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), (ushort)tags.Length);
        for (int t = 0; t < tags.Length; t++)
        {
            (ushort tag, ushort type, uint count, uint value) = tags[t];
            Span<byte> entry = file.AsSpan(10 + 12 * t, 12);
            BinaryPrimitives.WriteUInt16LittleEndian(entry, tag);
            BinaryPrimitives.WriteUInt16LittleEndian(entry[2..], type);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], count);
            if (tag == 273)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], (uint)stripOffset);
            }
            else if (type == Short)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(entry[8..], (ushort)value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], value);
            }
        }

        // Next-IFD offset 0 is already in place.
        strip.CopyTo(file.AsSpan(stripOffset));
        AtomicFile.Write(path, file);
    }
}

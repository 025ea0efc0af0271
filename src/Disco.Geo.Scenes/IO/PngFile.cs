using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Disco.Geo.Scenes.IO;

/// <summary>
/// A minimal PNG encoder for the two kinds of image a sample set needs: 8-bit RGB and 8-bit palette (colour type 3)
/// whose pixel values are class ids and whose palette gives each class its colour. GDAL reads a palette PNG as one
/// band of the ids with a colour table, which is what label ingest wants. Rows use the Up filter (cheap, and good for
/// the smooth rows of rendered rooms); the deflate stream is zlib's.
/// </summary>
internal static class PngFile
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Writes interleaved RGB bytes (3 per pixel, row-major).</summary>
    public static void WriteRgb(string path, int width, int height, byte[] rgb) =>
        Write(path, width, height, colourType: 2, bytesPerPixel: 3, rgb, palette: null);

    /// <summary>Writes one byte per pixel as palette indices, with the given palette entries.</summary>
    public static void WritePalette(string path, int width, int height, byte[] indices, IReadOnlyList<(byte R, byte G, byte B)> palette)
    {
        if (palette.Count is 0 or > 256)
        {
            throw new ArgumentException("A PNG palette holds 1 to 256 entries.", nameof(palette));
        }

        byte[] entries = new byte[3 * palette.Count];
        for (int k = 0; k < palette.Count; k++)
        {
            (entries[3 * k], entries[3 * k + 1], entries[3 * k + 2]) = palette[k];
        }

        Write(path, width, height, colourType: 3, bytesPerPixel: 1, indices, entries);
    }

    private static void Write(string path, int width, int height, byte colourType, int bytesPerPixel, byte[] pixels, byte[]? palette)
    {
        int stride = width * bytesPerPixel;
        if (pixels.Length != stride * height)
        {
            throw new ArgumentException($"Expected {stride * height} bytes for a {width}x{height} image, got {pixels.Length}.", nameof(pixels));
        }

        byte[] filtered = new byte[height * (stride + 1)];
        for (int y = 0; y < height; y++)
        {
            int target = y * (stride + 1);
            filtered[target] = y == 0 ? (byte)0 : (byte)2; // None for the first row, Up for the others.
            for (int i = 0; i < stride; i++)
            {
                byte above = y == 0 ? (byte)0 : pixels[(y - 1) * stride + i];
                filtered[target + 1 + i] = (byte)(pixels[y * stride + i] - above);
            }
        }

        using MemoryStream png = new();
        png.Write(Signature);
        byte[] header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = colourType;
        WriteChunk(png, "IHDR", header);
        if (palette is not null)
        {
            WriteChunk(png, "PLTE", palette);
        }

        using (MemoryStream compressed = new())
        {
            using (ZLibStream zlib = new(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                zlib.Write(filtered);
            }

            WriteChunk(png, "IDAT", compressed.ToArray());
        }

        WriteChunk(png, "IEND", []);
        AtomicFile.Write(path, png.ToArray());
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        byte[] typeBytes = Encoding.ASCII.GetBytes(type);
        stream.Write(typeBytes);
        stream.Write(data);
        uint crc = Crc32.Update(Crc32.Update(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        stream.Write(word);
    }

    private static class Crc32
    {
        private static readonly uint[] Table = BuildTable();

        public static uint Update(uint crc, byte[] data)
        {
            foreach (byte b in data)
            {
                crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            }

            return crc;
        }

        private static uint[] BuildTable()
        {
            uint[] table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                }

                table[n] = c;
            }

            return table;
        }
    }
}

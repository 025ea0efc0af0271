using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Disco.Geo.Bench.Earth.Pictures;

/// <summary>
/// An 8-bit RGB image for the benchmark pictures: panels, captions in a small built-in bitmap font, and a compact PNG
/// encoder of its own (adaptive row filters and zlib's strongest setting), so a four-panel 1° Earth picture stays far
/// below the ~300 KB the README can afford, which GDAL's RGBA PNGs do not.
/// </summary>
internal sealed class Canvas
{
    private readonly byte[] _rgb;

    public Canvas(int width, int height, Colour background)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        _rgb = new byte[width * height * 3];
        FillRectangle(0, 0, width, height, background);
    }

    public int Width { get; }

    public int Height { get; }

    public Colour this[int x, int y]
    {
        get
        {
            int i = (y * Width + x) * 3;
            return new Colour(_rgb[i], _rgb[i + 1], _rgb[i + 2]);
        }
    }

    public void Set(int x, int y, Colour colour)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
        {
            return;
        }

        int i = (y * Width + x) * 3;
        _rgb[i] = colour.R;
        _rgb[i + 1] = colour.G;
        _rgb[i + 2] = colour.B;
    }

    public void FillRectangle(int x, int y, int width, int height, Colour colour)
    {
        for (int yy = Math.Max(0, y); yy < Math.Min(Height, y + height); yy++)
        {
            for (int xx = Math.Max(0, x); xx < Math.Min(Width, x + width); xx++)
            {
                Set(xx, yy, colour);
            }
        }
    }

    /// <summary>Draws text with the 5×7 font, each font pixel <paramref name="scale"/> image pixels; returns the width drawn.</summary>
    public int DrawText(int x, int y, string text, Colour colour, int scale = 1)
    {
        int cursor = x;
        foreach (char c in text)
        {
            string[] rows = BitmapFont.Glyph(c);
            for (int row = 0; row < rows.Length; row++)
            {
                for (int column = 0; column < rows[row].Length; column++)
                {
                    if (rows[row][column] == '#')
                    {
                        FillRectangle(cursor + column * scale, y + row * scale, scale, scale, colour);
                    }
                }
            }

            cursor += BitmapFont.Advance * scale;
        }

        return cursor - x;
    }

    /// <summary>Width in pixels that <see cref="DrawText"/> would use.</summary>
    public static int TextWidth(string text, int scale = 1) => text.Length * BitmapFont.Advance * scale;

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, EncodePng());
    }

    /// <summary>PNG, colour type 2 (RGB, 8 bits), each row filtered with whichever of the five filters gives the smallest sum of absolute residuals.</summary>
    public byte[] EncodePng()
    {
        int stride = Width * 3;
        byte[] filtered = new byte[Height * (stride + 1)];
        byte[] candidate = new byte[stride];
        byte[] zero = new byte[stride];
        for (int y = 0; y < Height; y++)
        {
            ReadOnlySpan<byte> row = _rgb.AsSpan(y * stride, stride);
            ReadOnlySpan<byte> above = y == 0 ? zero : _rgb.AsSpan((y - 1) * stride, stride);
            long bestCost = long.MaxValue;
            int offset = y * (stride + 1);
            for (byte filter = 0; filter <= 4; filter++)
            {
                long cost = 0;
                for (int i = 0; i < stride; i++)
                {
                    int left = i >= 3 ? row[i - 3] : 0;
                    int up = above[i];
                    int upLeft = i >= 3 ? above[i - 3] : 0;
                    int predictor = filter switch
                    {
                        0 => 0,
                        1 => left,
                        2 => up,
                        3 => (left + up) / 2,
                        _ => Paeth(left, up, upLeft),
                    };
                    byte value = (byte)(row[i] - predictor);
                    candidate[i] = value;
                    int signed = (sbyte)value;
                    cost += signed < 0 ? -signed : signed;
                }

                if (cost < bestCost)
                {
                    bestCost = cost;
                    filtered[offset] = filter;
                    candidate.CopyTo(filtered, offset + 1);
                }
            }
        }

        using MemoryStream png = new();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        byte[] header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Height);
        header[8] = 8; // bits per sample
        header[9] = 2; // RGB
        WriteChunk(png, "IHDR", header);
        using (MemoryStream compressed = new())
        {
            using (ZLibStream zlib = new(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                zlib.Write(filtered);
            }

            WriteChunk(png, "IDAT", compressed.ToArray());
        }

        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        byte[] typeBytes = Encoding.ASCII.GetBytes(type);
        stream.Write(typeBytes);
        stream.Write(data);
        uint crc = Crc32(Crc32(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        stream.Write(crcBytes);
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }

        return c;
    }).ToArray();

    private static uint Crc32(uint crc, byte[] data)
    {
        foreach (byte b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }
}

/// <summary>An 8-bit sRGB colour.</summary>
internal readonly record struct Colour(byte R, byte G, byte B)
{
    public static Colour White => new(255, 255, 255);

    public static Colour Black => new(0, 0, 0);

    public static Colour Grey(byte level) => new(level, level, level);

    /// <summary>"#rrggbb" for SVG.</summary>
    public string Hex => $"#{R:x2}{G:x2}{B:x2}";

    /// <summary>Linear blend towards <paramref name="other"/> by <paramref name="t"/> in [0, 1].</summary>
    public Colour Mix(Colour other, double t) => new(
        (byte)Math.Round(R + (other.R - R) * t), (byte)Math.Round(G + (other.G - G) * t), (byte)Math.Round(B + (other.B - B) * t));
}

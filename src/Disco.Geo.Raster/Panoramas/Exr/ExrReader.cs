using System.Buffers.Binary;
using System.Text;

namespace Disco.Geo.Raster.Panoramas.Exr;

/// <summary>
/// Reads single-part scanline OpenEXR files into float planes. Compressions: NONE, RLE, ZIPS, ZIP, DWAA, DWAB (the
/// Blender/Poly Haven panoramas use DWAB). Tiled, deep and multi-part files, and PIZ, PXR24 and B44 compression, are
/// rejected with a message naming the feature. Every size and offset is checked against the file before use, and the
/// pixel count against a limit before any pixel memory is allocated.
/// </summary>
internal static class ExrReader
{
    private const uint Magic = 20000630;
    private const int TiledFlag = 0x200;
    private const int NonImageFlag = 0x800;
    private const int MultiPartFlag = 0x1000;

    private static readonly string[] CompressionNames = ["NONE", "RLE", "ZIPS", "ZIP", "PIZ", "PXR24", "B44", "B44A", "DWAA", "DWAB"];

    /// <summary>True when the bytes start with the OpenEXR magic number.</summary>
    internal static bool HasMagic(ReadOnlySpan<byte> start) => start.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(start) == Magic;

    /// <summary>Reads a file.</summary>
    /// <exception cref="InvalidDataException">The file is not a readable OpenEXR image or is too large.</exception>
    /// <exception cref="NotSupportedException">The file uses an OpenEXR feature this reader does not implement.</exception>
    internal static ExrImage Read(string path, long maxPixels)
    {
        FileInfo info = new(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"The file '{path}' does not exist.", path);
        }

        if (info.Length > int.MaxValue)
        {
            throw new InvalidDataException($"'{path}' is {info.Length:N0} bytes; OpenEXR files above 2 GiB are not read.");
        }

        try
        {
            return Read(File.ReadAllBytes(path), maxPixels);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"'{path}': {e.Message}", e);
        }
    }

    /// <summary>Reads an in-memory file.</summary>
    internal static ExrImage Read(ReadOnlySpan<byte> file, long maxPixels)
    {
        if (file.Length < 8 || !HasMagic(file))
        {
            throw new InvalidDataException("not an OpenEXR file (magic number missing)");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(file[4..]);
        if ((version & 0xff) != 2)
        {
            throw new NotSupportedException($"OpenEXR format version {version & 0xff} is not supported (only 2)");
        }

        if ((version & (TiledFlag | NonImageFlag | MultiPartFlag)) != 0)
        {
            string what = (version & MultiPartFlag) != 0 ? "multi-part" : (version & NonImageFlag) != 0 ? "deep" : "tiled";
            throw new NotSupportedException($"{what} OpenEXR files are not supported; save the panorama as a single-part scanline EXR");
        }

        int position = 8;
        List<ExrChannel>? channels = null;
        int compression = -1;
        (int X0, int Y0, int X1, int Y1)? window = null;
        while (true)
        {
            string name = ReadString(file, ref position);
            if (name.Length == 0)
            {
                break;
            }

            string type = ReadString(file, ref position);
            int size = ReadInt(file, ref position);
            if (size < 0 || position + size > file.Length)
            {
                throw new InvalidDataException($"the header attribute '{name}' is truncated");
            }

            ReadOnlySpan<byte> value = file.Slice(position, size);
            position += size;
            switch (name)
            {
                case "channels" when type == "chlist":
                    channels = ReadChannels(value);
                    break;
                case "compression" when size == 1:
                    compression = value[0];
                    break;
                case "dataWindow" when type == "box2i" && size == 16:
                    window = (BinaryPrimitives.ReadInt32LittleEndian(value), BinaryPrimitives.ReadInt32LittleEndian(value[4..]),
                        BinaryPrimitives.ReadInt32LittleEndian(value[8..]), BinaryPrimitives.ReadInt32LittleEndian(value[12..]));
                    break;
            }
        }

        if (channels is null || channels.Count == 0 || compression < 0 || window is null)
        {
            throw new InvalidDataException("the header lacks channels, compression or dataWindow");
        }

        (int x0, int y0, int x1, int y1) = window.Value;
        long width = (long)x1 - x0 + 1;
        long height = (long)y1 - y0 + 1;
        if (width <= 0 || height <= 0 || width > 1 << 20 || height > 1 << 20)
        {
            throw new InvalidDataException($"the data window {x0},{y0}..{x1},{y1} is empty or absurd");
        }

        if (width * height > maxPixels)
        {
            throw new InvalidDataException($"the image is {width}x{height} = {width * height:N0} pixels, more than the limit of {maxPixels:N0}");
        }

        int linesPerChunk = compression switch
        {
            0 or 1 or 2 => 1,
            3 => 16,
            8 => 32,
            9 => 256,
            _ when compression < CompressionNames.Length => throw new NotSupportedException(
                $"{CompressionNames[compression]} compression is not supported (NONE, RLE, ZIPS, ZIP, DWAA and DWAB are); re-save the file with ZIP compression"),
            _ => throw new InvalidDataException($"compression {compression} is unknown"),
        };

        int w = (int)width;
        int h = (int)height;
        int chunkCount = (h + linesPerChunk - 1) / linesPerChunk;
        if (position + 8L * chunkCount > file.Length)
        {
            throw new InvalidDataException("the chunk offset table is truncated");
        }

        float[][] planes = [.. channels.Select(_ => new float[w * h])];
        int bytesPerLine = channels.Sum(c => c.BytesPerElement) * w;
        bool[] seen = new bool[chunkCount];
        for (int chunk = 0; chunk < chunkCount; chunk++)
        {
            long offset = BinaryPrimitives.ReadInt64LittleEndian(file[(position + 8 * chunk)..]);
            if (offset < position || offset + 8 > file.Length)
            {
                throw new InvalidDataException($"chunk {chunk} points outside the file (offset {offset}); the file is probably truncated");
            }

            int y = BinaryPrimitives.ReadInt32LittleEndian(file[(int)offset..]);
            int packed = BinaryPrimitives.ReadInt32LittleEndian(file[((int)offset + 4)..]);
            int index = (int)(((long)y - y0) / linesPerChunk);
            if (y < y0 || y > y1 || ((long)y - y0) % linesPerChunk != 0 || seen[index] || packed < 0 || offset + 8 + packed > file.Length)
            {
                throw new InvalidDataException($"chunk {chunk} (line {y}, {packed} bytes) is inconsistent or runs past the end of the file");
            }

            seen[index] = true;
            int firstRow = y - y0;
            int lines = Math.Min(linesPerChunk, h - firstRow);
            ReadOnlySpan<byte> data = file.Slice((int)offset + 8, packed);
            try
            {
                DecodeChunk(data, compression, channels, w, lines, bytesPerLine, planes, firstRow);
            }
            catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or ArgumentException or OverflowException)
            {
                // Sizes inside a damaged chunk can still be inconsistent in ways the explicit checks do not name.
                throw new InvalidDataException($"chunk {chunk} (line {y}) is corrupt: {e.Message}", e);
            }
        }

        return new ExrImage(w, h, channels, planes, CompressionNames[compression]);
    }

    private static void DecodeChunk(ReadOnlySpan<byte> data, int compression, List<ExrChannel> channels, int width, int lines, int bytesPerLine,
        float[][] planes, int firstRow)
    {
        int unpackedSize = bytesPerLine * lines;
        if (compression is 8 or 9 && data.Length != unpackedSize)
        {
            DwaDecoder.Decode(data, channels, width, lines, planes, firstRow);
            return;
        }

        byte[] unpacked;
        if (compression == 0 || data.Length == unpackedSize)
        {
            // Chunks that would not shrink are stored as they are, whatever the compression.
            if (data.Length != unpackedSize)
            {
                throw new InvalidDataException($"an uncompressed chunk has {data.Length} bytes instead of {unpackedSize}");
            }

            unpacked = data.ToArray();
        }
        else
        {
            byte[] filtered = new byte[unpackedSize];
            if (compression == 1)
            {
                ExrCodecs.RunLengthDecode(data, filtered, "RLE pixels");
            }
            else
            {
                ExrCodecs.Inflate(data, filtered, "ZIP pixels");
            }

            unpacked = new byte[unpackedSize];
            ExrCodecs.ReconstructBytes(filtered, unpacked);
        }

        // Scanline layout: for each line, each channel's row in channel order.
        int cursor = 0;
        for (int line = 0; line < lines; line++)
        {
            for (int c = 0; c < channels.Count; c++)
            {
                int size = channels[c].BytesPerElement;
                float[] plane = planes[c];
                int row = (firstRow + line) * width;
                for (int x = 0; x < width; x++)
                {
                    plane[row + x] = channels[c].ToFloat(unpacked.AsSpan(cursor, size));
                    cursor += size;
                }
            }
        }
    }

    private static List<ExrChannel> ReadChannels(ReadOnlySpan<byte> value)
    {
        List<ExrChannel> channels = [];
        int position = 0;
        while (true)
        {
            string name = ReadString(value, ref position);
            if (name.Length == 0)
            {
                return channels;
            }

            if (position + 16 > value.Length)
            {
                throw new InvalidDataException("the channel list is truncated");
            }

            int type = BinaryPrimitives.ReadInt32LittleEndian(value[position..]);
            bool linear = value[position + 4] != 0;
            int xSampling = BinaryPrimitives.ReadInt32LittleEndian(value[(position + 8)..]);
            int ySampling = BinaryPrimitives.ReadInt32LittleEndian(value[(position + 12)..]);
            position += 16;
            if (type is < 0 or > 2)
            {
                throw new InvalidDataException($"channel '{name}' has unknown pixel type {type}");
            }

            if (xSampling != 1 || ySampling != 1)
            {
                throw new NotSupportedException($"channel '{name}' is subsampled ({xSampling}x{ySampling}); only full-resolution channels are supported");
            }

            channels.Add(new ExrChannel(name, type, linear));
        }
    }

    private static string ReadString(ReadOnlySpan<byte> data, ref int position)
    {
        if (position >= data.Length)
        {
            throw new InvalidDataException("the header is truncated");
        }

        int end = data[position..].IndexOf((byte)0);
        if (end < 0 || end > 255)
        {
            throw new InvalidDataException("the header holds an unterminated name");
        }

        string text = Encoding.UTF8.GetString(data.Slice(position, end));
        position += end + 1;
        return text;
    }

    private static int ReadInt(ReadOnlySpan<byte> data, ref int position)
    {
        if (position + 4 > data.Length)
        {
            throw new InvalidDataException("the header is truncated");
        }

        int value = BinaryPrimitives.ReadInt32LittleEndian(data[position..]);
        position += 4;
        return value;
    }
}

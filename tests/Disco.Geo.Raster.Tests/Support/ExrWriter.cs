using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Disco.Geo.Raster.Tests.Support;

/// <summary>A minimal OpenEXR writer (scanline, HALF or FLOAT channels, NONE or ZIP) to test the reader's generic paths.</summary>
internal static class ExrWriter
{
    internal static byte[] Write(int width, int height, IReadOnlyList<(string Name, bool Half, float[] Values)> channels, bool zip)
    {
        // Channels must be stored in alphabetical order.
        var sorted = channels.OrderBy(c => c.Name, StringComparer.Ordinal).ToArray();
        using MemoryStream file = new();
        BinaryWriter w = new(file);
        w.Write(20000630);
        w.Write(2);
        using (MemoryStream list = new())
        {
            foreach (var c in sorted)
            {
                list.Write(Encoding.ASCII.GetBytes(c.Name + "\0"));
                list.Write(BitConverter.GetBytes(c.Half ? 1 : 2));
                list.Write([0, 0, 0, 0]);
                list.Write(BitConverter.GetBytes(1));
                list.Write(BitConverter.GetBytes(1));
            }

            list.WriteByte(0);
            Attribute(w, "channels", "chlist", list.ToArray());
        }

        Attribute(w, "compression", "compression", [(byte)(zip ? 3 : 0)]);
        byte[] box = new byte[16];
        BinaryPrimitives.WriteInt32LittleEndian(box.AsSpan(8), width - 1);
        BinaryPrimitives.WriteInt32LittleEndian(box.AsSpan(12), height - 1);
        Attribute(w, "dataWindow", "box2i", box);
        Attribute(w, "displayWindow", "box2i", box);
        Attribute(w, "lineOrder", "lineOrder", [0]);
        w.Write((byte)0);
        int lines = zip ? 16 : 1;
        int chunks = (height + lines - 1) / lines;
        long table = file.Position;
        w.Write(new byte[8 * chunks]);
        long[] offsets = new long[chunks];
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            int y0 = chunk * lines;
            int count = Math.Min(lines, height - y0);
            using MemoryStream raw = new();
            for (int y = y0; y < y0 + count; y++)
            {
                foreach (var c in sorted)
                {
                    for (int x = 0; x < width; x++)
                    {
                        float v = c.Values[y * width + x];
                        if (c.Half)
                        {
                            raw.Write(BitConverter.GetBytes(BitConverter.HalfToUInt16Bits((Half)v)));
                        }
                        else
                        {
                            raw.Write(BitConverter.GetBytes(v));
                        }
                    }
                }
            }

            byte[] data = raw.ToArray();
            if (zip)
            {
                // Split even/odd bytes, delta-code, deflate: the inverse of the reader's reconstruction.
                byte[] split = new byte[data.Length];
                int half = (data.Length + 1) / 2;
                for (int i = 0; i < data.Length; i++)
                {
                    split[(i & 1) == 0 ? i / 2 : half + i / 2] = data[i];
                }

                byte[] delta = new byte[split.Length];
                delta[0] = split[0];
                for (int i = 1; i < split.Length; i++)
                {
                    delta[i] = (byte)(split[i] - split[i - 1] + 128);
                }

                using MemoryStream packed = new();
                using (ZLibStream z = new(packed, CompressionLevel.Optimal, leaveOpen: true))
                {
                    z.Write(delta);
                }

                data = packed.ToArray();
            }

            offsets[chunk] = file.Position;
            w.Write(y0);
            w.Write(data.Length);
            w.Write(data);
        }

        file.Position = table;
        foreach (long offset in offsets)
        {
            w.Write(offset);
        }

        w.Flush();
        return file.ToArray();
    }

    private static void Attribute(BinaryWriter w, string name, string type, byte[] value)
    {
        w.Write(Encoding.ASCII.GetBytes(name + "\0" + type + "\0"));
        w.Write(value.Length);
        w.Write(value);
    }
}

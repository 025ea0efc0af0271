using System.Buffers.Binary;
using System.Text;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// Writes NetCDF classic (CDF-1) files byte by byte, so a test can make a file GDAL reads as several variables
/// (subdatasets) without a NetCDF library.
/// </summary>
internal static class NetCdfFiles
{
    /// <summary>
    /// A file with float variables of shape [nlat, nlon] named <paramref name="variables"/>; variable v holds
    /// 1000·v + 0, 1, 2, … so that a test can tell which one was read.
    /// </summary>
    public static string WriteVariables(string path, int nlat, int nlon, params string[] variables)
    {
        int size = 4 * nlat * nlon;
        byte[] Header(int dataStart)
        {
            var header = new List<byte>();
            header.AddRange("CDF\u0001"u8.ToArray());
            Int(header, 0);
            Int(header, 0x0A);
            Int(header, 2);
            Name(header, "lat");
            Int(header, nlat);
            Name(header, "lon");
            Int(header, nlon);
            Int(header, 0);
            Int(header, 0);
            Int(header, 0x0B);
            Int(header, variables.Length);
            for (int v = 0; v < variables.Length; v++)
            {
                Name(header, variables[v]);
                Int(header, 2);
                Int(header, 0);
                Int(header, 1);
                Int(header, 0);
                Int(header, 0);
                Int(header, 5);
                Int(header, size);
                Int(header, dataStart + (v * size));
            }

            return [.. header];
        }

        byte[] header = Header(Header(0).Length);
        using var file = File.Create(path);
        file.Write(header);
        byte[] value = new byte[4];
        for (int v = 0; v < variables.Length; v++)
        {
            for (int k = 0; k < nlat * nlon; k++)
            {
                BinaryPrimitives.WriteSingleBigEndian(value, (1000f * v) + k);
                file.Write(value);
            }
        }

        return path;
    }

    /// <summary>
    /// A CF-NetCDF time stack: dimensions time (one step per entry of <paramref name="times"/>), lat and lon; a
    /// coordinate variable time (double) with the given units and calendar; and float variables [time, lat, lon] named
    /// <paramref name="variables"/>, where variable v at step t holds 1000·v + 10·t + (node index mod 7), so that a
    /// test can tell the variable and the step from the values.
    /// </summary>
    public static string WriteTimeStack(string path, int nlat, int nlon, double[] times, string units, string calendar, params string[] variables)
    {
        int steps = times.Length;
        int size = 4 * steps * nlat * nlon;
        byte[] Header(int dataStart)
        {
            var header = new List<byte>();
            header.AddRange("CDF\u0001"u8.ToArray());
            Int(header, 0);
            Int(header, 0x0A);
            Int(header, 3);
            Name(header, "time");
            Int(header, steps);
            Name(header, "lat");
            Int(header, nlat);
            Name(header, "lon");
            Int(header, nlon);
            Int(header, 0);
            Int(header, 0);
            Int(header, 0x0B);
            Int(header, variables.Length + 1);

            // time(time): double, with units and calendar.
            Name(header, "time");
            Int(header, 1);
            Int(header, 0);
            Int(header, 0x0C);
            Int(header, 2);
            TextAttribute(header, "units", units);
            TextAttribute(header, "calendar", calendar);
            Int(header, 6);
            Int(header, 8 * steps);
            Int(header, dataStart);
            for (int v = 0; v < variables.Length; v++)
            {
                Name(header, variables[v]);
                Int(header, 3);
                Int(header, 0);
                Int(header, 1);
                Int(header, 2);
                Int(header, 0);
                Int(header, 0);
                Int(header, 5);
                Int(header, size);
                Int(header, dataStart + (8 * steps) + (v * size));
            }

            return [.. header];
        }

        byte[] header = Header(Header(0).Length);
        using var file = File.Create(path);
        file.Write(header);
        byte[] number = new byte[8];
        foreach (double time in times)
        {
            BinaryPrimitives.WriteDoubleBigEndian(number, time);
            file.Write(number);
        }

        byte[] value = new byte[4];
        for (int v = 0; v < variables.Length; v++)
        {
            for (int t = 0; t < steps; t++)
            {
                for (int k = 0; k < nlat * nlon; k++)
                {
                    BinaryPrimitives.WriteSingleBigEndian(value, (1000f * v) + (10f * t) + (k % 7));
                    file.Write(value);
                }
            }
        }

        return path;
    }

    private static void TextAttribute(List<byte> bytes, string name, string text)
    {
        Name(bytes, name);
        Int(bytes, 2);
        byte[] chars = Encoding.ASCII.GetBytes(text);
        Int(bytes, chars.Length);
        bytes.AddRange(chars);
        bytes.AddRange(new byte[(4 - (chars.Length % 4)) % 4]);
    }

    private static void Int(List<byte> bytes, int value)
    {
        byte[] buffer = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, value);
        bytes.AddRange(buffer);
    }

    private static void Name(List<byte> bytes, string name)
    {
        byte[] text = Encoding.ASCII.GetBytes(name);
        Int(bytes, text.Length);
        bytes.AddRange(text);
        bytes.AddRange(new byte[(4 - (text.Length % 4)) % 4]);
    }
}

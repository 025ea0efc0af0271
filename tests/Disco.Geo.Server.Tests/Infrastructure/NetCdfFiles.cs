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

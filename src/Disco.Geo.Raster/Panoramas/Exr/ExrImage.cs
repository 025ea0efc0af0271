using System.Buffers.Binary;

namespace Disco.Geo.Raster.Panoramas.Exr;

/// <summary>One channel of an OpenEXR image.</summary>
/// <param name="Name">Channel name (e.g. "R", "diffuse.G").</param>
/// <param name="PixelType">0 = UINT, 1 = HALF, 2 = FLOAT.</param>
/// <param name="PerceptuallyLinear">The pLinear flag (values already perceptual; DWA skips its transfer curve).</param>
internal sealed record ExrChannel(string Name, int PixelType, bool PerceptuallyLinear)
{
    internal int BytesPerElement => PixelType == 1 ? 2 : 4;

    /// <summary>A little-endian element of this channel as float.</summary>
    internal float ToFloat(ReadOnlySpan<byte> element) => PixelType switch
    {
        0 => BinaryPrimitives.ReadUInt32LittleEndian(element),
        1 => DwaDecoder.HalfToFloat(BinaryPrimitives.ReadUInt16LittleEndian(element)),
        _ => BinaryPrimitives.ReadSingleLittleEndian(element),
    };
}

/// <summary>A decoded scanline OpenEXR image: one float plane per channel, rows top to bottom.</summary>
internal sealed record ExrImage(int Width, int Height, IReadOnlyList<ExrChannel> Channels, float[][] Planes, string Compression)
{
    /// <summary>The plane of a channel by name (case-insensitive), or null.</summary>
    internal float[]? Plane(string name)
    {
        for (int c = 0; c < Channels.Count; c++)
        {
            if (string.Equals(Channels[c].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return Planes[c];
            }
        }

        return null;
    }
}

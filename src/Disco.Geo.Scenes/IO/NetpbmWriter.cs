using System.Text;
using Disco.Geo.Scenes.Rendering;

namespace Disco.Geo.Scenes.IO;

/// <summary>
/// Writes panoramas as binary Netpbm images for quick looks (any image viewer or ImageMagick reads them): colour as
/// 8-bit PPM, labels as 8-bit PPM in <see cref="SceneLabels.DisplayColors"/>, depth as 16-bit PGM in millimetres.
/// </summary>
public static class NetpbmWriter
{
    /// <summary>Writes the colour image as a binary PPM (P6), 8 bits per channel.</summary>
    public static void WriteRgb(Panorama panorama, string path)
    {
        ArgumentNullException.ThrowIfNull(panorama);
        int plane = panorama.Height * panorama.Width;
        byte[] pixels = new byte[3 * plane];
        for (int p = 0; p < plane; p++)
        {
            for (int c = 0; c < 3; c++)
            {
                pixels[3 * p + c] = (byte)Math.Clamp((int)Math.Round(panorama.Rgb[c * plane + p] * 255.0), 0, 255);
            }
        }

        Write(path, $"P6\n{panorama.Width} {panorama.Height}\n255\n", pixels);
    }

    /// <summary>Writes the label map as a binary PPM (P6) in the suggested display colours.</summary>
    public static void WriteLabels(Panorama panorama, string path)
    {
        ArgumentNullException.ThrowIfNull(panorama);
        byte[] pixels = new byte[3 * panorama.Labels.Length];
        for (int p = 0; p < panorama.Labels.Length; p++)
        {
            (byte r, byte g, byte b) = SceneLabels.DisplayColors[panorama.Labels[p]];
            pixels[3 * p] = r;
            pixels[3 * p + 1] = g;
            pixels[3 * p + 2] = b;
        }

        Write(path, $"P6\n{panorama.Width} {panorama.Height}\n255\n", pixels);
    }

    /// <summary>Writes depth as a binary 16-bit PGM (P5, big-endian) in millimetres, saturating at 65.535 m.</summary>
    public static void WriteDepth(Panorama panorama, string path)
    {
        ArgumentNullException.ThrowIfNull(panorama);
        byte[] pixels = new byte[2 * panorama.Depth.Length];
        for (int p = 0; p < panorama.Depth.Length; p++)
        {
            int millimetres = (int)Math.Clamp(Math.Round(panorama.Depth[p] * 1000.0), 0, 65535);
            pixels[2 * p] = (byte)(millimetres >> 8);
            pixels[2 * p + 1] = (byte)millimetres;
        }

        Write(path, $"P5\n{panorama.Width} {panorama.Height}\n65535\n", pixels);
    }

    private static void Write(string path, string header, byte[] pixels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using FileStream stream = File.Create(path);
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(pixels);
    }
}

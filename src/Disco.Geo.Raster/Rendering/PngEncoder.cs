using Disco.Geo.Gdal;

namespace Disco.Geo.Raster.Rendering;

/// <summary>RGBA images to PNG bytes through GDAL's PNG driver (in memory, via /vsimem/).</summary>
internal static class PngEncoder
{
    /// <summary>Planar RGBA image: four planes of width × height bytes.</summary>
    internal sealed class Image(int width, int height)
    {
        internal int Width { get; } = width;

        internal int Height { get; } = height;

        internal byte[] Red { get; } = new byte[width * height];

        internal byte[] Green { get; } = new byte[width * height];

        internal byte[] Blue { get; } = new byte[width * height];

        internal byte[] Alpha { get; } = new byte[width * height];

        internal void Set(int index, Rgba colour)
        {
            Red[index] = colour.R;
            Green[index] = colour.G;
            Blue[index] = colour.B;
            Alpha[index] = colour.A;
        }
    }

    internal static byte[] Encode(Image image, CancellationToken cancellationToken = default) => Encode(image, TileImageFormat.Png, cancellationToken);

    /// <summary>Encodes as PNG, or as lossless WebP through GDAL's WEBP driver (libwebp) where GDAL has it.</summary>
    internal static byte[] Encode(Image image, TileImageFormat format, CancellationToken cancellationToken = default)
    {
        using GdalDataset dataset = GdalDataset.CreateInMemory(image.Width, image.Height, 4, GdalDataType.Byte);
        byte[][] planes = [image.Red, image.Green, image.Blue, image.Alpha];
        ColorInterpretation[] roles = [ColorInterpretation.Red, ColorInterpretation.Green, ColorInterpretation.Blue, ColorInterpretation.Alpha];
        for (int b = 0; b < 4; b++)
        {
            GdalBand band = dataset.GetBand(b + 1);
            band.Write<byte>(planes[b], 0, 0, image.Width, image.Height);
            band.ColorInterpretation = roles[b];
        }

        // Lossless WebP: tiles carry exact class colours, which lossy compression would blend at class edges.
        return format == TileImageFormat.WebP
            ? dataset.EncodeToBytes("WEBP", new Dictionary<string, string> { ["LOSSLESS"] = "YES" }, cancellationToken)
            : dataset.EncodeToBytes("PNG", new Dictionary<string, string> { ["ZLEVEL"] = "6" }, cancellationToken);
    }
}

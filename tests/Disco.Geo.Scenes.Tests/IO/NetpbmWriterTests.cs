using System.Text;
using Disco.Geo.Scenes.Generation;
using Disco.Geo.Scenes.IO;
using Disco.Geo.Scenes.Rendering;

namespace Disco.Geo.Scenes.Tests.IO;

public sealed class NetpbmWriterTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "scenes-netpbm-" + Guid.NewGuid().ToString("N"));

    public NetpbmWriterTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Colour_labels_and_depth_are_written_with_correct_headers_and_values()
    {
        Panorama panorama = PanoramaDataset.Item(1, 0, 6, 12);
        string rgb = Path.Combine(_directory, "rgb.ppm");
        string labels = Path.Combine(_directory, "labels.ppm");
        string depth = Path.Combine(_directory, "depth.pgm");
        NetpbmWriter.WriteRgb(panorama, rgb);
        NetpbmWriter.WriteLabels(panorama, labels);
        NetpbmWriter.WriteDepth(panorama, depth);

        byte[] rgbBytes = File.ReadAllBytes(rgb);
        string header = "P6\n12 6\n255\n";
        Assert.Equal(header, Encoding.ASCII.GetString(rgbBytes, 0, header.Length));
        Assert.Equal(header.Length + 3 * 72, rgbBytes.Length);
        Assert.Equal((byte)Math.Round(panorama.Rgb[72] * 255.0), rgbBytes[header.Length + 1]);

        byte[] labelBytes = File.ReadAllBytes(labels);
        Assert.Equal(SceneLabels.DisplayColors[panorama.Labels[5]].G, labelBytes[header.Length + 3 * 5 + 1]);

        byte[] depthBytes = File.ReadAllBytes(depth);
        string depthHeader = "P5\n12 6\n65535\n";
        Assert.Equal(depthHeader, Encoding.ASCII.GetString(depthBytes, 0, depthHeader.Length));
        int millimetres = depthBytes[depthHeader.Length + 14] << 8 | depthBytes[depthHeader.Length + 15];
        Assert.Equal(Math.Round(panorama.Depth[7] * 1000.0), millimetres);
    }
}

using Disco.Geo.Raster.Panoramas.Exr;
using Disco.Geo.Raster.Tests.Support;
using Disco.Geo.Samples;

namespace Disco.Geo.Raster.Tests.Panoramas;

/// <summary>
/// The built-in OpenEXR decoder. The eight Blender panoramas (DWAB) are checked against fingerprints taken from the
/// reference decoder, libOpenEXR 3.1.5 (Debian), read with Imf::InputFile into float: per-channel means of R, G, B,
/// the maximum, and R at six pixel indices. DWA decodes to half precision; our inverse DCT sums in another order than
/// libOpenEXR's SIMD code, which moves about 0.005 % of the pixels by one half-float step (≤ 0.3 %).
/// </summary>
public sealed class ExrReaderTests : IDisposable
{
    private static readonly int[] SampleIndices = [0, 12345, 262143, 300001, 400000, 524287];

    private static readonly Dictionary<string, Fingerprint> Reference = new()
    {
        ["city"] = new(1.0503454409022197, 1.05769224193034, 1.0353431570974863, 33952.0, [1.3134765625f, 1.2451171875f, 0.1129150390625f, 0.1820068359375f, 0.1439208984375f, 0.74365234375f]),
        ["courtyard"] = new(0.6373416435361605, 0.5106550829772232, 0.5255774929466952, 55.5625, [0.0225372314453125f, 0.056793212890625f, 4.0859375f, 0.916015625f, 0.09661865234375f, 0.059967041015625f]),
        ["forest"] = new(0.5102920115746201, 0.5463705615266008, 0.6278102837043207, 1010.5, [1.3369140625f, 1.5078125f, 0.1376953125f, 0.2017822265625f, 0.048187255859375f, 0.072265625f]),
        ["interior"] = new(1.0828187059079255, 0.955802898302295, 0.8134538508077185, 33952.0, [0.455810546875f, 0.484375f, 0.556640625f, 0.1656494140625f, 0.0182342529296875f, 0.252685546875f]),
        ["night"] = new(0.15741651386213107, 0.14015566601199225, 0.09663294131462408, 7168.0, [0.0570068359375f, 0.053680419921875f, 0.012359619140625f, 0.0199432373046875f, 0.01424407958984375f, 0.009796142578125f]),
        ["studio"] = new(0.2296472014519395, 0.25998839404201135, 0.27869761966655915, 118.375, [0.0021820068359375f, 0.0016908645629882812f, 0.0017080307006835938f, 0.0033283233642578125f, 0.103515625f, 0.2003173828125f]),
        ["sunrise"] = new(0.4758652179712044, 0.4941001862475787, 0.43657712025981255, 33664.0, [0.06280517578125f, 0.057586669921875f, 0.218994140625f, 0.115234375f, 0.0256195068359375f, 0.05975341796875f]),
        ["sunset"] = new(0.40405285366023236, 0.41606100376850463, 0.5731059451248939, 6520.0, [0.23486328125f, 0.2265625f, 0.026214599609375f, 0.11859130859375f, 0.1507568359375f, 0.06103515625f]),
    };

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    [Trait(DebianArchive.Trait, DebianArchive.Value)]
    public async Task The_eight_blender_panoramas_decode_like_libopenexr()
    {
        foreach (string name in SampleCatalog.PanoramaNames)
        {
            string path = await DebianArchive.FetchAsync(SampleCatalog.Panorama(name));
            ExrImage image = ExrReader.Read(path, 1 << 24);
            Fingerprint expected = Reference[name];
            Assert.Equal((1024, 512), (image.Width, image.Height));
            Assert.Equal("DWAB", image.Compression);
            Assert.Equal(["B", "G", "R"], image.Channels.Select(c => c.Name));
            double[] means = new[] { "R", "G", "B" }.Select(c => image.Plane(c)!.Average(v => (double)v)).ToArray();
            Assert.Equal(expected.MeanR, means[0], expected.MeanR * 1e-3);
            Assert.Equal(expected.MeanG, means[1], expected.MeanG * 1e-3);
            Assert.Equal(expected.MeanB, means[2], expected.MeanB * 1e-3);
            Assert.Equal(expected.Max, image.Planes.Max(p => p.Max()), expected.Max * 3e-3);
            float[] red = image.Plane("R")!;
            for (int i = 0; i < SampleIndices.Length; i++)
            {
                Assert.Equal(expected.Red[i], red[SampleIndices[i]], expected.Red[i] * 3e-3);
            }
        }
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public void Uncompressed_and_zip_files_round_trip(bool zip, bool half)
    {
        int width = 40;
        int height = 20;
        float[] r = Enumerable.Range(0, width * height).Select(i => (float)(i % 37) / 8).ToArray();
        float[] a = Enumerable.Range(0, width * height).Select(i => i % 2 == 0 ? 1f : 0f).ToArray();
        byte[] bytes = ExrWriter.Write(width, height, [("R", half, r), ("A", half, a)], zip);
        ExrImage image = ExrReader.Read(bytes, 1 << 20);
        Assert.Equal(zip ? "ZIP" : "NONE", image.Compression);
        Assert.Equal(r, image.Plane("R"));
        Assert.Equal(a, image.Plane("A"));
    }

    [Fact]
    [Trait(DebianArchive.Trait, DebianArchive.Value)]
    public async Task Truncated_corrupt_and_oversized_files_are_rejected_by_name()
    {
        string source = await DebianArchive.FetchAsync(SampleCatalog.Panorama("studio"));
        byte[] bytes = await File.ReadAllBytesAsync(source);

        string truncated = _directory.File("truncated.exr");
        await File.WriteAllBytesAsync(truncated, bytes[..(bytes.Length * 6 / 10)]);
        InvalidDataException cut = Assert.Throws<InvalidDataException>(() => ExrReader.Read(truncated, 1 << 24));
        Assert.Contains("truncated.exr", cut.Message);
        Assert.Contains("truncated", cut.Message);

        string damaged = _directory.File("damaged.exr");
        byte[] copy = (byte[])bytes.Clone();
        for (int i = 2000; i < 2400; i++)
        {
            copy[i] ^= 0x5a;
        }

        await File.WriteAllBytesAsync(damaged, copy);
        Assert.Throws<InvalidDataException>(() => ExrReader.Read(damaged, 1 << 24));

        InvalidDataException large = Assert.Throws<InvalidDataException>(() => ExrReader.Read(source, 100_000));
        Assert.Contains("more than the limit", large.Message);

        string notExr = _directory.File("not.exr");
        await File.WriteAllTextAsync(notExr, "hello");
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => ExrReader.Read(notExr, 1 << 24)).Message);
    }

    private sealed record Fingerprint(double MeanR, double MeanG, double MeanB, double Max, float[] Red);
}

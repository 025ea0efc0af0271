using System.Security.Cryptography;
using Disco.Geo.Scenes.Generation;
using Disco.Geo.Scenes.Rendering;

namespace Disco.Geo.Scenes.Tests.Generation;

public class DeterminismTests
{
    [Fact]
    public void The_same_seed_gives_identical_panoramas_and_different_seeds_different_ones()
    {
        Panorama[] first = [.. PanoramaDataset.Generate(3, 77, 24, 48)];
        Panorama[] again = [.. PanoramaDataset.Generate(3, 77, 24, 48)];
        Panorama[] other = [.. PanoramaDataset.Generate(3, 78, 24, 48)];
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(first[k].Rgb, again[k].Rgb);
            Assert.Equal(first[k].Depth, again[k].Depth);
            Assert.Equal(first[k].Labels, again[k].Labels);
            Assert.Equal(first[k].SceneSeed, again[k].SceneSeed);
            Assert.NotEqual(first[k].SceneSeed, other[k].SceneSeed);
            Assert.NotEqual(first[k].Depth, other[k].Depth);
            Assert.NotEqual(first[k].Rgb, other[k].Rgb);
        }

        Assert.NotEqual(first[0].Depth, first[1].Depth);
    }

    [Fact]
    public void Items_can_be_regenerated_alone_and_do_not_depend_on_thread_count_or_supersampling_for_depth()
    {
        Panorama[] all = [.. PanoramaDataset.Generate(3, 5, 20, 40)];
        DatasetOptions serial = new() { Render = new RenderOptions { MaxDegreeOfParallelism = 1 } };
        Panorama alone = PanoramaDataset.Item(5, 2, 20, 40, serial);
        Assert.Equal(all[2].Rgb, alone.Rgb);
        Assert.Equal(all[2].Depth, alone.Depth);

        Panorama supersampled = PanoramaDataset.Item(5, 2, 20, 40, new DatasetOptions { Render = new RenderOptions { Supersampling = 2 } });
        Assert.Equal(all[2].Depth, supersampled.Depth);
        Assert.Equal(all[2].Labels, supersampled.Labels);
        Assert.NotEqual(all[2].Rgb, supersampled.Rgb);
    }

    /// <summary>
    /// Pins the exact bytes of a few renders. A change here means the output changed: on purpose (a renderer change;
    /// update the hash and say so in the commit) or by accident (a platform-dependent operation crept in).
    /// </summary>
    [Fact]
    public void Rendered_bytes_match_the_recorded_fingerprint()
    {
        using IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (Panorama panorama in PanoramaDataset.Generate(2, 2024, 16, 32, new DatasetOptions { Rotation = CameraRotationMode.Random }))
        {
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(panorama.Rgb.AsSpan()));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(panorama.Depth.AsSpan()));
            hash.AppendData(panorama.Labels);
        }

        string actual = Convert.ToHexString(hash.GetHashAndReset());
        Assert.True(actual == Fingerprint, $"The rendered bytes changed: fingerprint {actual}, recorded {Fingerprint}.");
    }

    private const string Fingerprint = "AE166322B280A0196F5C959EA2CCDD2346FC3A9ED0B93BE7B8D5D23292332C85";
}

using System.Globalization;
using System.Text.Json;
using Disco.Geo.Scenes.Generation;
using Disco.Geo.Scenes.Rendering;

namespace Disco.Geo.Scenes.IO;

/// <summary>The files of one written panorama.</summary>
/// <param name="Index">Item index in the dataset.</param>
/// <param name="Stem">File stem, e.g. "scene-0003"; also a good dataset name.</param>
/// <param name="Rgb">8-bit RGB PNG, sRGB.</param>
/// <param name="Labels">8-bit palette PNG: pixel values are class ids (<see cref="SceneLabels"/>), the palette their colours.</param>
/// <param name="Depth">Float32 TIFF: Euclidean depth in metres.</param>
public sealed record PanoramaSampleFiles(int Index, string Stem, string Rgb, string Labels, string Depth);

/// <summary>
/// Writes synthetic panoramas as files the server ingests: per item an RGB PNG, a label PNG whose pixel values are
/// class ids with the classes' colours as its palette, and a Float32 depth TIFF, all 2:1 equirectangular images
/// without georeferencing (the server reads a 2:1 image as the whole sphere; columns run clockwise from the back,
/// see <see cref="SphericalProjection"/>), plus <c>scenes.json</c>, which lists the class ids, names and colours
/// and every item's files. The same arguments write byte-identical files on any machine.
/// </summary>
public static class PanoramaSampleSet
{
    /// <summary>Name of the manifest written beside the images.</summary>
    public const string ManifestName = "scenes.json";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Renders items 0 .. <paramref name="count"/> − 1 of dataset <paramref name="seed"/> into <paramref name="directory"/>.</summary>
    /// <param name="directory">Created when missing; existing files of the same names are replaced.</param>
    /// <param name="count">Number of panoramas, 1 or more.</param>
    /// <param name="seed">Dataset seed (training and held-out sets should differ).</param>
    /// <param name="height">Rows; the width is twice this.</param>
    /// <param name="prefix">File stem prefix; item i is written as PREFIX-iiii.png, PREFIX-iiii-labels.png, PREFIX-iiii-depth.tif.</param>
    /// <param name="options">Scene, render and rotation options; null for the defaults (upright cameras).</param>
    /// <param name="progress">Told the index of each item written.</param>
    /// <param name="cancellationToken">Checked between items.</param>
    /// <returns>The files, in item order.</returns>
    /// <exception cref="ArgumentException">A count, size, prefix or option is out of range.</exception>
    public static IReadOnlyList<PanoramaSampleFiles> Write(
        string directory, int count, ulong seed, int height, string prefix = "scene", DatasetOptions? options = null,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (count < 1)
        {
            throw new ArgumentException($"count = {count}: write at least one panorama.", nameof(count));
        }

        if (string.IsNullOrWhiteSpace(prefix) || prefix.IndexOfAny([.. Path.GetInvalidFileNameChars(), ' ']) >= 0)
        {
            throw new ArgumentException($"prefix '{prefix}' must be a plain file name without spaces.", nameof(prefix));
        }

        int width = 2 * height;
        Directory.CreateDirectory(directory);
        var files = new List<PanoramaSampleFiles>(count);
        int index = 0;
        foreach (Panorama panorama in PanoramaDataset.Generate(count, seed, height, width, options))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string stem = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{index:D4}");
            var item = new PanoramaSampleFiles(index, stem, stem + ".png", stem + "-labels.png", stem + "-depth.tif");
            PngFile.WriteRgb(Path.Combine(directory, item.Rgb), width, height, InterleavedRgb(panorama));
            PngFile.WritePalette(Path.Combine(directory, item.Labels), width, height, panorama.Labels, SceneLabels.DisplayColors);
            Float32Tiff.Write(Path.Combine(directory, item.Depth), width, height, panorama.Depth);
            files.Add(item);
            progress?.Report(index);
            index++;
        }

        WriteManifest(directory, seed, height, options ?? new DatasetOptions(), files);
        return files;
    }

    private static byte[] InterleavedRgb(Panorama panorama)
    {
        int plane = panorama.Height * panorama.Width;
        byte[] pixels = new byte[3 * plane];
        for (int p = 0; p < plane; p++)
        {
            for (int c = 0; c < 3; c++)
            {
                pixels[3 * p + c] = (byte)Math.Clamp((int)Math.Round(panorama.Rgb[c * plane + p] * 255.0), 0, 255);
            }
        }

        return pixels;
    }

    private static void WriteManifest(string directory, ulong seed, int height, DatasetOptions options, List<PanoramaSampleFiles> files)
    {
        var manifest = new Dictionary<string, object>
        {
            ["seed"] = seed,
            ["height"] = height,
            ["width"] = 2 * height,
            ["cameras"] = options.Rotation == CameraRotationMode.Random ? "random" : "upright",
            ["layout"] = "equirectangular, no georeferencing: top row zenith, bottom row nadir, azimuth -180 deg at the left edge, " +
                         "0 (forward) at the centre, increasing to the right (clockwise seen from above)",
            ["classes"] = SceneLabels.Names.Select((name, id) => new Dictionary<string, object>
            {
                ["id"] = id,
                ["name"] = name,
                ["color"] = Hex(SceneLabels.DisplayColors[id]),
            }).ToArray(),
            ["depth"] = "Float32 metres, Euclidean distance from the camera centre",
            ["scenes"] = files.Select(f => new Dictionary<string, object>
            {
                ["index"] = f.Index,
                ["name"] = f.Stem,
                ["rgb"] = f.Rgb,
                ["labels"] = f.Labels,
                ["depth"] = f.Depth,
            }).ToArray(),
        };
        AtomicFile.Write(Path.Combine(directory, ManifestName), JsonSerializer.SerializeToUtf8Bytes(manifest, JsonOptions));
    }

    private static string Hex((byte R, byte G, byte B) colour) => $"#{colour.R:x2}{colour.G:x2}{colour.B:x2}";
}

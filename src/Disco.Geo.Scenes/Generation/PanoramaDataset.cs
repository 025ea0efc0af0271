using Disco.Geo.Scenes.Numerics;
using Disco.Geo.Scenes.Rendering;

namespace Disco.Geo.Scenes.Generation;

/// <summary>
/// Streams of synthetic panoramas for training and evaluation. Item i of a dataset depends only on (seed, i, sizes,
/// options): its scene seed is SplitMix64-derived from (seed, i), so items can be regenerated one at a time, in any
/// order, and identically on any machine. Use different seeds for training and held-out sets.
/// </summary>
public static class PanoramaDataset
{
    /// <summary>Largest accepted item count.</summary>
    public const int MaxCount = 10_000_000;

    /// <summary>
    /// Lazily renders <paramref name="count"/> equirectangular panoramas (items 0 .. count − 1), each rendered with its
    /// rows in parallel. Arguments are checked at the call, not at the first enumeration.
    /// </summary>
    /// <param name="count">Number of panoramas, 0 or more.</param>
    /// <param name="seed">Dataset seed.</param>
    /// <param name="height">Rows of each panorama (e.g. 128).</param>
    /// <param name="width">Columns of each panorama (e.g. 256).</param>
    /// <param name="options">Scene, render and rotation options; null for the defaults.</param>
    /// <exception cref="ArgumentException">A count, size or option is out of range.</exception>
    public static IEnumerable<Panorama> Generate(int count, ulong seed, int height, int width, DatasetOptions? options = null)
    {
        if (count < 0 || count > MaxCount)
        {
            throw new ArgumentException($"count = {count} is out of range; ask for 0 to {MaxCount} panoramas.", nameof(count));
        }

        PanoramaRenderer.ValidateSize(height, width);
        options ??= new DatasetOptions();
        options.Validate();
        return Enumerate(count, seed, height, width, options);
    }

    /// <summary>Item <paramref name="index"/> of the dataset <paramref name="seed"/>, exactly as <see cref="Generate"/> yields it.</summary>
    /// <exception cref="ArgumentException">The index, a size or an option is out of range.</exception>
    public static Panorama Item(ulong seed, int index, int height, int width, DatasetOptions? options = null)
    {
        PanoramaRenderer.ValidateSize(height, width);
        (Scene scene, Camera camera) = SceneAndCamera(seed, index, options);
        return PanoramaRenderer.Render(scene, camera, height, width, (options ?? new DatasetOptions()).Render);
    }

    /// <summary>
    /// The scene and camera of item <paramref name="index"/>, to render it some other way, e.g. onto a Gauss–Legendre
    /// grid with <see cref="PanoramaRenderer.Render(Scene, Camera, double[], double[], RenderOptions?)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The index or an option is out of range.</exception>
    public static (Scene Scene, Camera Camera) SceneAndCamera(ulong seed, int index, DatasetOptions? options = null)
    {
        if (index < 0)
        {
            throw new ArgumentException($"index = {index} must be 0 or more.", nameof(index));
        }

        options ??= new DatasetOptions();
        options.Validate();
        ulong sceneSeed = SplitMix64.Derive(seed, (ulong)index);
        Scene scene = SceneGenerator.Create(sceneSeed, options.Scene);
        Camera camera = options.Rotation == CameraRotationMode.Random
            ? RandomOrientation(scene.Camera, SplitMix64.Derive(sceneSeed, 1))
            : scene.Camera;
        return (scene, camera);
    }

    private static IEnumerable<Panorama> Enumerate(int count, ulong seed, int height, int width, DatasetOptions options)
    {
        for (int i = 0; i < count; i++)
        {
            (Scene scene, Camera camera) = SceneAndCamera(seed, i, options);
            yield return PanoramaRenderer.Render(scene, camera, height, width, options.Render);
        }
    }

    /// <summary>
    /// A uniformly random rotation composed with the camera's heading. In yaw–pitch–roll angles the Haar measure is
    /// cos(pitch) d(yaw) d(pitch) d(roll), so pitch is drawn by rejection against cos, avoiding an arcsine.
    /// </summary>
    internal static Camera RandomOrientation(Camera camera, ulong seed)
    {
        RandomStream r = new(seed);
        double yaw = r.Uniform(-Math.PI, Math.PI);
        double roll = r.Uniform(-Math.PI, Math.PI);
        double pitch;
        do
        {
            pitch = r.Uniform(-0.5 * Math.PI, 0.5 * Math.PI);
        }
        while (r.NextDouble() >= DeterministicMath.Cos(pitch));

        double heading = camera.Yaw + yaw;
        heading -= 2 * Math.PI * Math.Floor((heading + Math.PI) / (2 * Math.PI));
        return camera.WithOrientation(heading, pitch, roll);
    }
}

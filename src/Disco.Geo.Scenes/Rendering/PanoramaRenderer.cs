using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Lighting;
using Disco.Geo.Scenes.Materials;

namespace Disco.Geo.Scenes.Rendering;

/// <summary>
/// Ray-casts a <see cref="Scene"/> into a 360° panorama: one ray per pixel from the camera centre gives the exact
/// depth and label; the colour is shaded at the same hit (or averaged over a grid of sub-rays with supersampling).
/// Rows are rendered in parallel; every pixel is computed on its own in a fixed order of operations, so the output is
/// bit-identical whatever the thread count or machine. See <see cref="SphericalProjection"/> for the conventions.
/// </summary>
public static class PanoramaRenderer
{
    /// <summary>Largest accepted height or width, and number of colatitudes or azimuths.</summary>
    public const int MaxDimension = 16384;

    /// <summary>Largest accepted number of pixels (about 1.1 GB of output).</summary>
    public const long MaxPixels = 1L << 26;

    /// <summary>Renders an equirectangular panorama of <paramref name="height"/> × <paramref name="width"/> pixels.</summary>
    /// <param name="scene">The scene.</param>
    /// <param name="camera">Camera position (inside the room, outside every object) and orientation.</param>
    /// <param name="height">Rows, from the zenith down: θ_i = (i + ½)π/height.</param>
    /// <param name="width">Columns, clockwise (left to right) from the back: φ_j = −π + (j + ½)2π/width; usually 2 × height.</param>
    /// <param name="options">Supersampling and threads; null for the defaults.</param>
    /// <exception cref="ArgumentException">A size is out of range or the camera is outside the free space.</exception>
    public static Panorama Render(Scene scene, Camera camera, int height, int width, RenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(scene);
        options ??= new RenderOptions();
        options.Validate();
        ValidateSize(height, width);
        ValidateCamera(scene, camera);
        RayGrid grid = RayGrid.Equirectangular(height, width, camera, options.Supersampling);
        Panorama panorama = new(height, width, SphericalProjection.Colatitudes(height), SphericalProjection.Azimuths(width), camera, scene.Seed);
        Fill(scene, camera, grid, panorama, options);
        return panorama;
    }

    /// <summary>
    /// Renders at every pair (colatitudes[i], azimuths[j]) of the given camera-frame angles, in radians: row i,
    /// column j of the result. Use it to render straight onto other sphere grids, e.g. Gauss–Legendre rows or an
    /// equiangular grid with rows on the poles.
    /// </summary>
    /// <param name="scene">The scene.</param>
    /// <param name="camera">Camera position (inside the room, outside every object) and orientation.</param>
    /// <param name="colatitudes">Colatitudes from the zenith, each in [0, π].</param>
    /// <param name="azimuths">Azimuths, clockwise from forward (positive = to the camera's right); any finite values.</param>
    /// <param name="options">Supersampling and threads; null for the defaults.</param>
    /// <exception cref="ArgumentException">An array is empty, too long or holds an invalid angle, or the camera is outside the free space.</exception>
    public static Panorama Render(Scene scene, Camera camera, double[] colatitudes, double[] azimuths, RenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(colatitudes);
        ArgumentNullException.ThrowIfNull(azimuths);
        options ??= new RenderOptions();
        options.Validate();
        ValidateSize(colatitudes.Length, azimuths.Length, nameof(colatitudes), nameof(azimuths));
        foreach (double theta in colatitudes)
        {
            if (!(theta >= 0 && theta <= Math.PI))
            {
                throw new ArgumentException($"Colatitude {theta} is not in [0, π]; pass colatitudes in radians from the zenith.", nameof(colatitudes));
            }
        }

        foreach (double phi in azimuths)
        {
            if (!double.IsFinite(phi))
            {
                throw new ArgumentException($"Azimuth {phi} is not finite; pass azimuths in radians.", nameof(azimuths));
            }
        }

        ValidateCamera(scene, camera);
        RayGrid grid = RayGrid.FromAngles(colatitudes, azimuths, camera, options.Supersampling);
        Panorama panorama = new(colatitudes.Length, azimuths.Length, (double[])colatitudes.Clone(), (double[])azimuths.Clone(), camera, scene.Seed);
        Fill(scene, camera, grid, panorama, options);
        return panorama;
    }

    internal static void ValidateSize(int height, int width, string heightName = "height", string widthName = "width")
    {
        if (height < 1 || height > MaxDimension)
        {
            throw new ArgumentException($"{heightName} = {height} is out of range; use 1 to {MaxDimension} (e.g. 128 or 256).", heightName);
        }

        if (width < 1 || width > MaxDimension)
        {
            throw new ArgumentException($"{widthName} = {width} is out of range; use 1 to {MaxDimension} (usually twice the height).", widthName);
        }

        if ((long)height * width > MaxPixels)
        {
            throw new ArgumentException(
                $"{heightName} × {widthName} = {(long)height * width} pixels exceeds {MaxPixels}; render a smaller panorama.", widthName);
        }
    }

    private static void ValidateCamera(Scene scene, Camera camera)
    {
        if (!double.IsFinite(camera.X) || !double.IsFinite(camera.Y) || !double.IsFinite(camera.Z) ||
            !double.IsFinite(camera.Yaw) || !double.IsFinite(camera.Pitch) || !double.IsFinite(camera.Roll))
        {
            throw new ArgumentException($"Camera {camera} has a non-finite coordinate or angle; use finite metres and radians.", nameof(camera));
        }

        Vec3 position = new(camera.X, camera.Y, camera.Z);
        if (!scene.Room.Contains(position, Scene.MinimumWallClearance))
        {
            throw new ArgumentException(
                $"Camera at ({camera.X}, {camera.Y}, {camera.Z}) is outside the room (bounding box 0..{scene.Width} × 0..{scene.Depth} × 0..{scene.Height} m); " +
                $"place it inside, at least {Scene.MinimumWallClearance} m from every face (scene.Camera is a valid position; scene.IsFreeSpace checks one).",
                nameof(camera));
        }

        if (scene.IsInsideObject(position))
        {
            throw new ArgumentException(
                $"Camera at ({camera.X}, {camera.Y}, {camera.Z}) is inside an object; move it into free space (scene.IsFreeSpace checks a position).",
                nameof(camera));
        }
    }

    private static void Fill(Scene scene, Camera camera, RayGrid grid, Panorama panorama, RenderOptions options)
    {
        ParallelOptions parallel = new() { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism ?? Environment.ProcessorCount };
        Vec3 origin = new(camera.X, camera.Y, camera.Z);
        DirectionIndex cameraIndex = new(origin, scene.Primitives);
        _ = scene.ShadowIndex;
        Parallel.For(0, grid.Rows, parallel, i => RenderRow(scene, cameraIndex, origin, grid, panorama, i));
    }

    private static void RenderRow(Scene scene, DirectionIndex cameraIndex, Vec3 origin, RayGrid grid, Panorama panorama, int i)
    {
        int width = grid.Columns;
        int plane = grid.Rows * width;
        int samples = grid.Samples;
        double subPixelAngle = grid.PixelAngle / samples;
        double inverseCount = 1.0 / (samples * samples);
        for (int j = 0; j < width; j++)
        {
            int index = i * width + j;
            Vec3 direction = grid.Direction(i, j);
            SurfaceHit hit = RayCaster.Trace(scene, cameraIndex, origin, direction);
            panorama.Depth[index] = (float)hit.Distance;
            panorama.Labels[index] = hit.Label;

            Rgb radiance;
            if (samples == 1)
            {
                radiance = SurfaceShader.Radiance(scene, hit, direction, grid.PixelAngle);
            }
            else
            {
                radiance = Rgb.Black;
                for (int a = 0; a < samples; a++)
                {
                    for (int b = 0; b < samples; b++)
                    {
                        Vec3 sub = grid.SubDirection(i, j, a, b);
                        SurfaceHit subHit = RayCaster.Trace(scene, cameraIndex, origin, sub);
                        radiance += SurfaceShader.Radiance(scene, subHit, sub, subPixelAngle);
                    }
                }

                radiance *= inverseCount;
            }

            panorama.Rgb[index] = ToneCurve.Encode(radiance.R, scene.Exposure);
            panorama.Rgb[plane + index] = ToneCurve.Encode(radiance.G, scene.Exposure);
            panorama.Rgb[2 * plane + index] = ToneCurve.Encode(radiance.B, scene.Exposure);
        }
    }
}

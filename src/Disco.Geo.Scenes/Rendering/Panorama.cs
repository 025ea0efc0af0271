namespace Disco.Geo.Scenes.Rendering;

/// <summary>
/// One rendered panorama: colour, depth and labels on a grid of <see cref="Height"/> colatitudes by
/// <see cref="Width"/> azimuths (see <see cref="SphericalProjection"/> for the conventions). The arrays belong to the
/// caller and can be handed straight to a tensor.
/// </summary>
public sealed class Panorama
{
    internal Panorama(int height, int width, double[] colatitudes, double[] azimuths, Camera camera, ulong sceneSeed)
    {
        Height = height;
        Width = width;
        Colatitudes = colatitudes;
        Azimuths = azimuths;
        Camera = camera;
        SceneSeed = sceneSeed;
        Rgb = new float[3 * height * width];
        Depth = new float[height * width];
        Labels = new byte[height * width];
    }

    /// <summary>Number of rows (colatitudes).</summary>
    public int Height { get; }

    /// <summary>Number of columns (azimuths).</summary>
    public int Width { get; }

    /// <summary>
    /// Colour as float32 [3, H, W] (channel-major: R plane, G plane, B plane), sRGB-encoded (gamma) in [0, 1].
    /// </summary>
    public float[] Rgb { get; }

    /// <summary>
    /// Depth as float32 [H, W]: the Euclidean distance in metres from the camera centre to the first surface along the
    /// pixel's centre ray (not the distance along the optical axis). Always positive and finite.
    /// </summary>
    public float[] Depth { get; }

    /// <summary>Semantic labels [H, W], values in <see cref="SceneLabels"/>.</summary>
    public byte[] Labels { get; }

    /// <summary>Colatitude of each row in radians (camera frame).</summary>
    public double[] Colatitudes { get; }

    /// <summary>Azimuth of each column in radians (camera frame).</summary>
    public double[] Azimuths { get; }

    /// <summary>The camera the panorama was rendered from.</summary>
    public Camera Camera { get; }

    /// <summary>Seed of the rendered scene.</summary>
    public ulong SceneSeed { get; }
}

using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Rendering;

/// <summary>
/// The panorama conventions shared by the whole product.
/// <list type="bullet">
/// <item>Rows are colatitude θ measured from the zenith (θ = 0 straight up, π straight down); an equirectangular
/// panorama of height H has pixel-centred rows θ_i = (i + ½)·π/H.</item>
/// <item>Columns are azimuth φ, increasing to the right = clockwise seen from above, as in a photograph and as the
/// server reads panoramas (Disco.Geo.Raster's PanoramaIngestor: longitude = azimuth); a panorama of width W has
/// φ_j = −π + (j + ½)·2π/W, so φ = 0 (straight ahead) falls between columns W/2 − 1 and W/2, and what stands to the
/// camera's right appears right of the image centre.</item>
/// <item>The viewing direction is d = (sin θ cos φ, −sin θ sin φ, cos θ) in the camera frame: right-handed, x forward,
/// y to the left, z up (see <see cref="Camera"/> for how that frame is turned in the scene), so φ = +π/2 looks right
/// (−y).</item>
/// <item>Arrays are row-major: element (i, j) of an H × W map is at i·W + j; RGB is channel-major [3, H, W].</item>
/// </list>
/// Trigonometric functions here are computed with deterministic arithmetic, identical on every machine.
/// </summary>
public static class SphericalProjection
{
    /// <summary>Colatitude of row <paramref name="row"/> of an equirectangular panorama of <paramref name="height"/> rows.</summary>
    public static double Colatitude(int row, int height) => (row + 0.5) * Math.PI / height;

    /// <summary>Azimuth of column <paramref name="column"/> of an equirectangular panorama of <paramref name="width"/> columns.</summary>
    public static double Azimuth(int column, int width) => AzimuthOfColumnCoordinate(column + 0.5, width);

    /// <summary>All row colatitudes of an equirectangular panorama, top to bottom.</summary>
    public static double[] Colatitudes(int height)
    {
        double[] values = new double[height];
        for (int i = 0; i < height; i++)
        {
            values[i] = Colatitude(i, height);
        }

        return values;
    }

    /// <summary>All column azimuths of an equirectangular panorama, left to right (clockwise).</summary>
    public static double[] Azimuths(int width)
    {
        double[] values = new double[width];
        for (int j = 0; j < width; j++)
        {
            values[j] = Azimuth(j, width);
        }

        return values;
    }

    /// <summary>Unit viewing direction (camera frame) of colatitude θ and azimuth φ, in radians.</summary>
    public static (double X, double Y, double Z) Direction(double colatitude, double azimuth)
    {
        double sinTheta = DeterministicMath.Sin(colatitude);
        // Azimuth turns clockwise (towards −y, the camera's right), hence the minus sign.
        return (sinTheta * DeterministicMath.Cos(azimuth), -sinTheta * DeterministicMath.Sin(azimuth), DeterministicMath.Cos(colatitude));
    }

    /// <summary>
    /// Azimuth at a fractional column coordinate u (column j's centre is u = j + ½). Kept as one expression so that a
    /// camera turned by a whole number of columns reproduces the unturned columns bit for bit.
    /// </summary>
    internal static double AzimuthOfColumnCoordinate(double u, int width) => -Math.PI + u * (2 * Math.PI / width);
}

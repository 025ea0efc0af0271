namespace Disco.Geo.Raster.Panoramas;

/// <summary>
/// How the camera that took a panorama was turned relative to a level, north-facing (or reference-facing) frame, in
/// degrees. Yaw turns right (clockwise seen from above, like a compass heading), pitch raises the view, roll lowers
/// the right side. Applying it maps the picture into the level frame: with pitch 10° the horizon, which the picture
/// shows 10° below its middle row, comes out on the equator. The three turns compose as yaw · pitch · roll.
/// </summary>
/// <param name="YawDegrees">Heading of the image centre, positive to the right.</param>
/// <param name="PitchDegrees">Elevation of the image centre, positive up.</param>
/// <param name="RollDegrees">Bank about the viewing direction, positive right side down.</param>
public sealed record CameraOrientation(double YawDegrees = 0, double PitchDegrees = 0, double RollDegrees = 0)
{
    /// <summary>No rotation.</summary>
    public static CameraOrientation Level { get; } = new();

    /// <summary>True when all three angles are zero.</summary>
    public bool IsIdentity => YawDegrees == 0 && PitchDegrees == 0 && RollDegrees == 0;

    /// <summary>
    /// The camera-to-level rotation R = R_yaw · R_pitch · R_roll as a row-major 3×3 matrix, in the frame x = forward
    /// (image centre), y = right (azimuth +90°), z = up (zenith).
    /// </summary>
    public double[] CameraToLevel()
    {
        if (!double.IsFinite(YawDegrees) || !double.IsFinite(PitchDegrees) || !double.IsFinite(RollDegrees))
        {
            throw new ArgumentException($"Camera angles must be finite numbers of degrees ({this}).");
        }

        double[] yaw = AboutZ(YawDegrees);
        double[] pitch = AboutY(PitchDegrees);
        double[] roll = AboutX(RollDegrees);
        return Multiply(Multiply(yaw, pitch), roll);
    }

    /// <summary>The inverse (transpose): level directions to camera directions, which is what resampling needs.</summary>
    internal double[] LevelToCamera()
    {
        double[] m = CameraToLevel();
        return [m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]];
    }

    private static double[] AboutZ(double degrees)
    {
        (double s, double c) = Math.SinCos(degrees * Math.PI / 180);
        return [c, -s, 0, s, c, 0, 0, 0, 1];
    }

    private static double[] AboutY(double degrees)
    {
        // Positive pitch lifts forward (x) towards up (z).
        (double s, double c) = Math.SinCos(degrees * Math.PI / 180);
        return [c, 0, -s, 0, 1, 0, s, 0, c];
    }

    private static double[] AboutX(double degrees)
    {
        // Positive roll lowers right (y) towards down (−z).
        (double s, double c) = Math.SinCos(degrees * Math.PI / 180);
        return [1, 0, 0, 0, c, s, 0, -s, c];
    }

    private static double[] Multiply(double[] a, double[] b)
    {
        double[] m = new double[9];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                m[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
            }
        }

        return m;
    }
}

using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Rendering;

/// <summary>
/// The scene-frame ray directions of a panorama, kept as per-row and per-column sines and cosines so that a pixel's
/// direction costs three multiplications. An upright camera's yaw is folded into the column azimuths, so turning it by
/// whole columns shifts the columns exactly; pitch and roll go through a rotation matrix. With supersampling the grid
/// also holds <c>Samples</c> sub-rows per row and sub-columns per column, centred in the pixel.
/// </summary>
internal sealed class RayGrid
{
    private readonly double[] _rowSin;
    private readonly double[] _rowCos;
    private readonly double[] _columnCos;
    private readonly double[] _columnSin;
    private readonly double[] _subRowSin;
    private readonly double[] _subRowCos;
    private readonly double[] _subColumnCos;
    private readonly double[] _subColumnSin;
    private readonly Rotation3 _rotation;
    private readonly bool _rotated;

    private RayGrid(double[] colatitudes, double[] azimuths, double[] subColatitudes, double[] subAzimuths, int samples, double pixelAngle, Camera camera)
    {
        Rows = colatitudes.Length;
        Columns = azimuths.Length;
        Samples = samples;
        PixelAngle = pixelAngle;
        _rotated = !camera.IsUpright;
        _rotation = _rotated ? Rotation3.FromYawPitchRoll(camera.Yaw, camera.Pitch, camera.Roll) : Rotation3.Identity;
        (_rowSin, _rowCos) = SinCos(colatitudes);
        (_columnSin, _columnCos) = SinCos(azimuths);
        (_subRowSin, _subRowCos) = SinCos(subColatitudes);
        (_subColumnSin, _subColumnCos) = SinCos(subAzimuths);
    }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Sub-rays per pixel along each axis.</summary>
    public int Samples { get; }

    /// <summary>Angular size of a pixel in radians, for texture filtering.</summary>
    public double PixelAngle { get; }

    /// <summary>Rays through pixel centres of an equirectangular panorama (<see cref="SphericalProjection"/>).</summary>
    public static RayGrid Equirectangular(int height, int width, Camera camera, int samples)
    {
        // An upright camera turns by shifting the column coordinate; the shift is in columns, so a yaw of k·2π/W
        // (k columns to the left, as yaw is counter-clockwise and columns run clockwise) subtracts exactly k and the
        // wrap below lands exactly on the unturned columns.
        double shift = camera.IsUpright ? -camera.Yaw / (2 * Math.PI / width) : 0;
        double[] azimuths = new double[width];
        double[] subAzimuths = new double[samples > 1 ? width * samples : 0];
        for (int j = 0; j < width; j++)
        {
            azimuths[j] = ColumnAzimuth(j + 0.5 + shift, width);
            for (int b = 0; b < subAzimuths.Length / width; b++)
            {
                subAzimuths[j * samples + b] = ColumnAzimuth(j + (b + 0.5) / samples + shift, width);
            }
        }

        double[] colatitudes = SphericalProjection.Colatitudes(height);
        double[] subColatitudes = new double[samples > 1 ? height * samples : 0];
        for (int i = 0; i < height && samples > 1; i++)
        {
            for (int a = 0; a < samples; a++)
            {
                subColatitudes[i * samples + a] = (i + (a + 0.5) / samples) * Math.PI / height;
            }
        }

        return new RayGrid(colatitudes, azimuths, subColatitudes, subAzimuths, samples, Math.PI / height, camera);
    }

    /// <summary>
    /// Rays at the tensor product of arbitrary colatitudes and azimuths (camera frame). Supersampling spreads sub-rays
    /// over π/rows by 2π/columns around each node, which suits grids with roughly even spacing.
    /// </summary>
    public static RayGrid FromAngles(double[] colatitudes, double[] azimuths, Camera camera, int samples)
    {
        double yaw = camera.IsUpright ? camera.Yaw : 0;
        double rowStep = Math.PI / colatitudes.Length;
        double columnStep = 2 * Math.PI / azimuths.Length;
        double[] turned = new double[azimuths.Length];
        double[] subAzimuths = new double[samples > 1 ? azimuths.Length * samples : 0];
        for (int j = 0; j < azimuths.Length; j++)
        {
            // Yaw is counter-clockwise, azimuth clockwise.
            turned[j] = azimuths[j] - yaw;
            for (int b = 0; b < subAzimuths.Length / azimuths.Length; b++)
            {
                subAzimuths[j * samples + b] = turned[j] + ((b + 0.5) / samples - 0.5) * columnStep;
            }
        }

        double[] subColatitudes = new double[samples > 1 ? colatitudes.Length * samples : 0];
        for (int i = 0; i < colatitudes.Length && samples > 1; i++)
        {
            for (int a = 0; a < samples; a++)
            {
                subColatitudes[i * samples + a] = Math.Clamp(colatitudes[i] + ((a + 0.5) / samples - 0.5) * rowStep, 0, Math.PI);
            }
        }

        return new RayGrid(colatitudes, turned, subColatitudes, subAzimuths, samples, rowStep, camera);
    }

    /// <summary>Scene-frame direction of the centre ray of pixel (i, j).</summary>
    public Vec3 Direction(int i, int j) => Orient(new Vec3(_rowSin[i] * _columnCos[j], -_rowSin[i] * _columnSin[j], _rowCos[i]));

    /// <summary>Scene-frame direction of sub-ray (a, b) of pixel (i, j), for 0 ≤ a, b &lt; <see cref="Samples"/>.</summary>
    public Vec3 SubDirection(int i, int j, int a, int b)
    {
        int row = i * Samples + a;
        int column = j * Samples + b;
        return Orient(new Vec3(_subRowSin[row] * _subColumnCos[column], -_subRowSin[row] * _subColumnSin[column], _subRowCos[row]));
    }

    private Vec3 Orient(Vec3 cameraDirection) => _rotated ? _rotation.Apply(cameraDirection) : cameraDirection;

    private static double ColumnAzimuth(double u, int width) =>
        SphericalProjection.AzimuthOfColumnCoordinate(u - width * Math.Floor(u / width), width);

    private static (double[] Sin, double[] Cos) SinCos(double[] angles)
    {
        double[] sin = new double[angles.Length];
        double[] cos = new double[angles.Length];
        for (int k = 0; k < angles.Length; k++)
        {
            (sin[k], cos[k]) = DeterministicMath.SinCos(angles[k]);
        }

        return (sin, cos);
    }
}

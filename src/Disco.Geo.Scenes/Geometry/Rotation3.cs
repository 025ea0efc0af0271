using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Geometry;

/// <summary>A 3×3 rotation matrix, row-major, mapping camera-frame vectors to world-frame vectors.</summary>
internal readonly struct Rotation3
{
    private readonly double _m00, _m01, _m02, _m10, _m11, _m12, _m20, _m21, _m22;

    private Rotation3(double m00, double m01, double m02, double m10, double m11, double m12, double m20, double m21, double m22)
    {
        _m00 = m00;
        _m01 = m01;
        _m02 = m02;
        _m10 = m10;
        _m11 = m11;
        _m12 = m12;
        _m20 = m20;
        _m21 = m21;
        _m22 = m22;
    }

    public static Rotation3 Identity => new(1, 0, 0, 0, 1, 0, 0, 0, 1);

    /// <summary>Rotation by <paramref name="angle"/> about the vertical axis, counter-clockwise seen from above.</summary>
    public static Rotation3 AboutZ(double angle)
    {
        (double s, double c) = DeterministicMath.SinCos(angle);
        return new Rotation3(c, -s, 0, s, c, 0, 0, 0, 1);
    }

    /// <summary>Rotation by <paramref name="angle"/> about the y axis (x towards −z for positive angles).</summary>
    public static Rotation3 AboutY(double angle)
    {
        (double s, double c) = DeterministicMath.SinCos(angle);
        return new Rotation3(c, 0, s, 0, 1, 0, -s, 0, c);
    }

    /// <summary>Rotation by <paramref name="angle"/> about the x axis (y towards z for positive angles).</summary>
    public static Rotation3 AboutX(double angle)
    {
        (double s, double c) = DeterministicMath.SinCos(angle);
        return new Rotation3(1, 0, 0, 0, c, -s, 0, s, c);
    }

    /// <summary>
    /// Camera-to-world rotation Rz(yaw)·Ry(−pitch)·Rx(roll): roll about the forward axis, then pitch the forward axis
    /// up, then turn counter-clockwise by yaw. See <see cref="Scenes.Camera"/> for the conventions.
    /// </summary>
    public static Rotation3 FromYawPitchRoll(double yaw, double pitch, double roll) =>
        AboutZ(yaw) * AboutY(-pitch) * AboutX(roll);

    public static Rotation3 operator *(Rotation3 a, Rotation3 b) => new(
        a._m00 * b._m00 + a._m01 * b._m10 + a._m02 * b._m20,
        a._m00 * b._m01 + a._m01 * b._m11 + a._m02 * b._m21,
        a._m00 * b._m02 + a._m01 * b._m12 + a._m02 * b._m22,
        a._m10 * b._m00 + a._m11 * b._m10 + a._m12 * b._m20,
        a._m10 * b._m01 + a._m11 * b._m11 + a._m12 * b._m21,
        a._m10 * b._m02 + a._m11 * b._m12 + a._m12 * b._m22,
        a._m20 * b._m00 + a._m21 * b._m10 + a._m22 * b._m20,
        a._m20 * b._m01 + a._m21 * b._m11 + a._m22 * b._m21,
        a._m20 * b._m02 + a._m21 * b._m12 + a._m22 * b._m22);

    public Vec3 Apply(Vec3 v) => new(
        _m00 * v.X + _m01 * v.Y + _m02 * v.Z,
        _m10 * v.X + _m11 * v.Y + _m12 * v.Z,
        _m20 * v.X + _m21 * v.Y + _m22 * v.Z);
}

namespace Disco.Geo.Sphere.Rotations;

/// <summary>A rotation as a unit quaternion w + xi + yj + zk (double precision; q and −q are the same rotation).</summary>
public readonly record struct UnitQuaternion(double W, double X, double Y, double Z)
{
    /// <summary>The identity rotation.</summary>
    public static UnitQuaternion Identity => new(1, 0, 0, 0);

    /// <summary>Normalises any non-zero quaternion.</summary>
    /// <exception cref="ArgumentException">All components are zero or not finite.</exception>
    public static UnitQuaternion Normalize(double w, double x, double y, double z)
    {
        double norm = Math.Sqrt(w * w + x * x + y * y + z * z);
        if (!(norm > 0) || !double.IsFinite(norm))
        {
            throw new ArgumentException("A rotation quaternion must have a finite, non-zero norm.", nameof(w));
        }

        return new UnitQuaternion(w / norm, x / norm, y / norm, z / norm);
    }

    /// <summary>Hamilton product: the rotation <paramref name="b"/> followed by <paramref name="a"/>.</summary>
    public static UnitQuaternion operator *(UnitQuaternion a, UnitQuaternion b) => new(
        a.W * b.W - a.X * b.X - a.Y * b.Y - a.Z * b.Z,
        a.W * b.X + a.X * b.W + a.Y * b.Z - a.Z * b.Y,
        a.W * b.Y - a.X * b.Z + a.Y * b.W + a.Z * b.X,
        a.W * b.Z + a.X * b.Y - a.Y * b.X + a.Z * b.W);

    /// <summary>The inverse rotation (the conjugate).</summary>
    public UnitQuaternion Conjugate() => new(W, -X, -Y, -Z);
}

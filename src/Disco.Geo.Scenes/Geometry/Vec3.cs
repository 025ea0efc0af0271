namespace Disco.Geo.Scenes.Geometry;

/// <summary>A point or direction in metres, in double precision so that depths are exact to ~10^-15 relative.</summary>
internal readonly record struct Vec3(double X, double Y, double Z)
{
    public static Vec3 Zero => default;

    public static Vec3 UnitZ => new(0, 0, 1);

    public double Length => Math.Sqrt(X * X + Y * Y + Z * Z);

    public static Vec3 operator +(Vec3 a, Vec3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);

    public static Vec3 operator -(Vec3 a, Vec3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);

    public static Vec3 operator -(Vec3 a) => new(-a.X, -a.Y, -a.Z);

    public static Vec3 operator *(Vec3 a, double s) => new(a.X * s, a.Y * s, a.Z * s);

    public static Vec3 operator *(double s, Vec3 a) => new(a.X * s, a.Y * s, a.Z * s);

    public static double Dot(Vec3 a, Vec3 b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;

    public Vec3 Normalized()
    {
        double length = Length;
        return new Vec3(X / length, Y / length, Z / length);
    }

    /// <summary>The point at distance <paramref name="t"/> along <paramref name="direction"/> from this origin.</summary>
    public Vec3 At(Vec3 direction, double t) => new(X + t * direction.X, Y + t * direction.Y, Z + t * direction.Z);
}

namespace Disco.Geo.Scenes.Geometry;

/// <summary>An axis-aligned box [Min, Max]; the room is a union of these.</summary>
internal readonly record struct Aabb(Vec3 Min, Vec3 Max)
{
    public Vec3 Size => Max - Min;

    public bool Contains(Vec3 p, double margin) =>
        p.X >= Min.X + margin && p.X <= Max.X - margin &&
        p.Y >= Min.Y + margin && p.Y <= Max.Y - margin &&
        p.Z >= Min.Z + margin && p.Z <= Max.Z - margin;

    /// <summary>Euclidean distance from <paramref name="p"/> to the box (0 inside).</summary>
    public double DistanceTo(Vec3 p)
    {
        double dx = Math.Max(Math.Max(Min.X - p.X, 0), p.X - Max.X);
        double dy = Math.Max(Math.Max(Min.Y - p.Y, 0), p.Y - Max.Y);
        double dz = Math.Max(Math.Max(Min.Z - p.Z, 0), p.Z - Max.Z);
        return Math.Sqrt(dx * dx + dy * dy + dz * dz);
    }

    public bool Overlaps(Aabb other) =>
        Min.X < other.Max.X && other.Min.X < Max.X &&
        Min.Y < other.Max.Y && other.Min.Y < Max.Y &&
        Min.Z < other.Max.Z && other.Min.Z < Max.Z;

    /// <summary>
    /// The parameter interval [near, far] where the ray o + t·d lies in the box, or false when it misses. Axes with
    /// d = 0 constrain nothing when o is inside that slab and exclude the ray otherwise, which avoids 0/0.
    /// </summary>
    public bool Slab(Vec3 o, Vec3 d, out double near, out double far)
    {
        near = double.NegativeInfinity;
        far = double.PositiveInfinity;
        return Axis(o.X, d.X, Min.X, Max.X, ref near, ref far) &&
               Axis(o.Y, d.Y, Min.Y, Max.Y, ref near, ref far) &&
               Axis(o.Z, d.Z, Min.Z, Max.Z, ref near, ref far) &&
               near <= far;
    }

    private static bool Axis(double o, double d, double min, double max, ref double near, ref double far)
    {
        if (d == 0)
        {
            return o >= min && o <= max;
        }

        double t1 = (min - o) / d;
        double t2 = (max - o) / d;
        near = Math.Max(near, Math.Min(t1, t2));
        far = Math.Min(far, Math.Max(t1, t2));
        return true;
    }
}

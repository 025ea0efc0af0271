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
}

using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Generation;

/// <summary>
/// Draws the room's shape and finds places on its walls. A merged room adds a second box flush against one side of
/// the main box, covering part of that side, so the union is L- or T-shaped; the whole room is then shifted so its
/// bounding box starts at the origin.
/// </summary>
internal static class RoomLayout
{
    /// <summary>A horizontal span [U0, U1] of a wall face that is solid wall over the full height.</summary>
    public readonly record struct WallSpan(RoomFace Face, double U0, double U1)
    {
        public double Centre => 0.5 * (U0 + U1);
    }

    public static RoomShape Create(RandomStream r, SceneOptions options)
    {
        double width = r.Uniform(options.MinRoomSize, options.MaxRoomSize);
        double depth = r.Uniform(options.MinRoomSize, options.MaxRoomSize);
        double height = r.Uniform(options.MinRoomHeight, options.MaxRoomHeight);
        Aabb main = new(Vec3.Zero, new Vec3(width, depth, height));
        if (!r.Chance(options.MergedRoomProbability))
        {
            return new RoomShape(main);
        }

        // The wing covers 35–75 % of one side and reaches 40–80 % of the room's size outwards.
        int side = r.NextInt(4);
        bool alongX = side < 2;
        double sideLength = alongX ? width : depth;
        double span = sideLength * r.Uniform(0.35, 0.75);
        double start = r.Chance(0.6) ? (r.Chance(0.5) ? 0 : sideLength - span) : r.Uniform(0, sideLength - span);
        double reach = Math.Max(1.5, (alongX ? depth : width) * r.Uniform(0.4, 0.8));
        Aabb wing = side switch
        {
            0 => new Aabb(new Vec3(start, depth, 0), new Vec3(start + span, depth + reach, height)),
            1 => new Aabb(new Vec3(start, -reach, 0), new Vec3(start + span, 0, height)),
            2 => new Aabb(new Vec3(width, start, 0), new Vec3(width + reach, start + span, height)),
            _ => new Aabb(new Vec3(-reach, start, 0), new Vec3(0, start + span, height)),
        };

        Vec3 shift = new(-Math.Min(0, wing.Min.X), -Math.Min(0, wing.Min.Y), 0);
        return new RoomShape(new Aabb(main.Min + shift, main.Max + shift), new Aabb(wing.Min + shift, wing.Max + shift));
    }

    /// <summary>
    /// A random span of <paramref name="length"/> metres of solid wall, or null when several tries find none (the
    /// wall is too short, or the span would reach into the opening towards the other part of a merged room).
    /// </summary>
    public static WallSpan? PickWall(RandomStream r, RoomShape room, double length)
    {
        for (int attempt = 0; attempt < 12; attempt++)
        {
            Aabb part = room.Parts[r.NextInt(room.Parts.Length)];
            int which = r.NextInt(4);
            int axis = which / 2;
            bool atMax = which % 2 == 1;
            double coordinate = axis == 0 ? (atMax ? part.Max.X : part.Min.X) : (atMax ? part.Max.Y : part.Min.Y);
            double lo = axis == 0 ? part.Min.Y : part.Min.X;
            double hi = axis == 0 ? part.Max.Y : part.Max.X;
            if (hi - lo < length + 0.3)
            {
                continue;
            }

            double u0 = r.Uniform(lo + 0.15, hi - 0.15 - length);
            RoomFace face = new(axis, atMax, coordinate);
            if (IsSolidWall(room, face, u0, u0 + length))
            {
                return new WallSpan(face, u0, u0 + length);
            }
        }

        return null;
    }

    /// <summary>The point on <paramref name="face"/> at wall coordinate u and height z.</summary>
    public static Vec3 PointOn(RoomFace face, double u, double z) =>
        face.Axis == 0 ? new Vec3(face.Coordinate, u, z) : new Vec3(u, face.Coordinate, z);

    /// <summary>
    /// An axis-aligned volume against <paramref name="face"/>: wall span [u0, u1], heights [z0, z1], reaching
    /// <paramref name="thickness"/> metres into the room.
    /// </summary>
    public static Aabb Slab(RoomFace face, double u0, double u1, double z0, double z1, double thickness)
    {
        double inward = face.AtMax ? -thickness : thickness;
        double a = Math.Min(face.Coordinate, face.Coordinate + inward);
        double b = Math.Max(face.Coordinate, face.Coordinate + inward);
        return face.Axis == 0
            ? new Aabb(new Vec3(a, u0, z0), new Vec3(b, u1, z1))
            : new Aabb(new Vec3(u0, a, z0), new Vec3(u1, b, z1));
    }

    // Solid where the point just behind the face is outside every part; sampled every 5 cm along the span.
    private static bool IsSolidWall(RoomShape room, RoomFace face, double u0, double u1)
    {
        Vec3 outward = -face.InwardNormal * 1e-4;
        double z = 0.5 * room.Bounds.Max.Z;
        int steps = (int)Math.Ceiling((u1 - u0) / 0.05);
        for (int k = 0; k <= steps; k++)
        {
            Vec3 behind = PointOn(face, u0 + (u1 - u0) * k / steps, z) + outward;
            if (room.Contains(behind, 0))
            {
                return false;
            }
        }

        return true;
    }
}

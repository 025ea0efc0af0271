using Disco.Geo.Scenes.Geometry;

namespace Disco.Geo.Scenes.Rendering;

/// <summary>
/// Finds the first surface along a ray and answers shadow queries. The room is traced first, since it always stops
/// the ray and bounds the search; then the candidate primitives, each behind its bounding sphere. Candidates come
/// from a <see cref="DirectionIndex"/> around the ray's fixed end (camera or light) when one is given, otherwise all
/// primitives are tested; both give the same result.
/// </summary>
internal static class RayCaster
{
    /// <summary>
    /// The nearest surface along origin + t·direction (direction of unit length) for an origin inside the room.
    /// The room always stops the ray, so there is always a hit.
    /// </summary>
    public static SurfaceHit Trace(Scene scene, Vec3 origin, Vec3 direction) =>
        Trace(scene, scene.Primitives.All, origin, direction);

    /// <summary>As <see cref="Trace(Scene, Vec3, Vec3)"/>, testing only the primitives <paramref name="index"/> lists around the origin.</summary>
    public static SurfaceHit Trace(Scene scene, DirectionIndex index, Vec3 origin, Vec3 direction) =>
        Trace(scene, index.Candidates(direction), origin, direction);

    /// <summary>
    /// True when something blocks the segment from <paramref name="from"/> to <paramref name="light"/>, ignoring the
    /// primitive <paramref name="excluded"/> (a lamp's own shade). <paramref name="lightIndex"/> is the index around
    /// the light, or null to test every primitive.
    /// </summary>
    public static bool IsOccluded(Scene scene, Vec3 from, Vec3 light, int excluded, DirectionIndex? lightIndex)
    {
        Vec3 delta = light - from;
        double distance = delta.Length;
        Vec3 direction = delta * (1 / distance);
        PrimitiveSet primitives = scene.Primitives;
        ReadOnlySpan<int> candidates = lightIndex is null ? primitives.All : lightIndex.Candidates(-delta);
        ReadOnlySpan<BoundingSphere> spheres = primitives.Spheres;
        int boxCount = primitives.Boxes.Length;
        int cylinderEnd = boxCount + primitives.Cylinders.Length;
        foreach (int g in candidates)
        {
            if (!spheres[g].MayHit(from, direction, 0, distance))
            {
                continue;
            }

            bool blocked = g < boxCount
                ? primitives.Boxes[g].Id != excluded && primitives.Boxes[g].Intersect(from, direction, 0, distance, out _)
                : g < cylinderEnd
                    ? primitives.Cylinders[g - boxCount].Id != excluded && primitives.Cylinders[g - boxCount].Intersect(from, direction, 0, distance, out _)
                    : primitives.Balls[g - cylinderEnd].Id != excluded && primitives.Balls[g - cylinderEnd].Intersect(from, direction, 0, distance, out _);
            if (blocked)
            {
                return true;
            }
        }

        // Each part is convex, so only a merged room can hide a light behind its own walls, and only from a point
        // outside the light's part.
        RoomShape room = scene.Room;
        return !room.IsConvex && !room.ShareAPart(from, light) && room.Exit(from, direction, out _) < distance;
    }

    private static SurfaceHit Trace(Scene scene, ReadOnlySpan<int> candidates, Vec3 origin, Vec3 direction)
    {
        double nearest = scene.Room.Exit(origin, direction, out RoomFace face);
        int hitIndex = -1;
        PrimitiveSet primitives = scene.Primitives;
        ReadOnlySpan<BoundingSphere> spheres = primitives.Spheres;
        int boxCount = primitives.Boxes.Length;
        int cylinderEnd = boxCount + primitives.Cylinders.Length;
        foreach (int g in candidates)
        {
            if (!spheres[g].MayHit(origin, direction, 0, nearest))
            {
                continue;
            }

            double t;
            bool hit = g < boxCount
                ? primitives.Boxes[g].Intersect(origin, direction, 0, nearest, out t)
                : g < cylinderEnd
                    ? primitives.Cylinders[g - boxCount].Intersect(origin, direction, 0, nearest, out t)
                    : primitives.Balls[g - cylinderEnd].Intersect(origin, direction, 0, nearest, out t);
            if (hit)
            {
                nearest = t;
                hitIndex = g;
            }
        }

        SurfaceHit result = default;
        result.Distance = nearest;
        result.Point = origin.At(direction, nearest);
        if (hitIndex < 0)
        {
            SetRoom(scene, ref result, face);
        }
        else if (hitIndex < boxCount)
        {
            ref readonly OrientedBox box = ref primitives.Boxes[hitIndex];
            box.Surface(result.Point, out result.Normal, out result.U, out result.V);
            SetObject(ref result, box.Id, box.Material, direction);
        }
        else if (hitIndex < cylinderEnd)
        {
            ref readonly VerticalCylinder cylinder = ref primitives.Cylinders[hitIndex - boxCount];
            cylinder.Surface(result.Point, out result.Normal, out result.U, out result.V);
            SetObject(ref result, cylinder.Id, cylinder.Material, direction);
        }
        else
        {
            ref readonly Ball ball = ref primitives.Balls[hitIndex - cylinderEnd];
            ball.Surface(result.Point, out result.Normal, out result.U, out result.V);
            SetObject(ref result, ball.Id, ball.Material, direction);
        }

        return result;
    }

    private static void SetObject(ref SurfaceHit hit, int id, int material, Vec3 direction)
    {
        hit.Label = SceneLabels.Object;
        hit.Material = material;
        hit.PrimitiveId = id;
        if (Vec3.Dot(hit.Normal, direction) > 0)
        {
            hit.Normal = -hit.Normal;
        }
    }

    private static void SetRoom(Scene scene, ref SurfaceHit hit, RoomFace face)
    {
        hit.PrimitiveId = -1;
        hit.Normal = face.InwardNormal;
        (hit.U, hit.V) = face.Coordinates(hit.Point);
        hit.Label = face.IsFloor ? SceneLabels.Floor : face.IsCeiling ? SceneLabels.Ceiling : SceneLabels.Wall;
        hit.Material = face.IsFloor ? scene.FloorMaterial : face.IsCeiling ? scene.CeilingMaterial : scene.WallMaterial;
        foreach (WallPatch patch in scene.Patches)
        {
            if (patch.Covers(face, hit.U, hit.V))
            {
                hit.Material = patch.Material;
                hit.U -= patch.U0;
                hit.V -= patch.V0;
                break;
            }
        }
    }
}

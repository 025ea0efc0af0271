namespace Disco.Geo.Scenes.Geometry;

/// <summary>
/// The objects of a scene: boxes, cylinders and spheres in flat arrays, with bounding spheres alongside for quick
/// rejection. Scenes hold a few dozen primitives, for which testing all of them behind a bounding-sphere check is
/// cheaper than building and walking a hierarchy.
/// </summary>
internal sealed class PrimitiveSet
{
    public PrimitiveSet(OrientedBox[] boxes, VerticalCylinder[] cylinders, Ball[] balls)
    {
        Boxes = boxes;
        Cylinders = cylinders;
        Balls = balls;
        BoxSpheres = Array.ConvertAll(boxes, b => b.Sphere);
        CylinderSpheres = Array.ConvertAll(cylinders, c => c.Sphere);
        Spheres = [.. BoxSpheres, .. CylinderSpheres, .. Array.ConvertAll(balls, b => b.Sphere)];
        All = [.. Enumerable.Range(0, Spheres.Length)];
    }

    public static PrimitiveSet Empty { get; } = new([], [], []);

    public OrientedBox[] Boxes { get; }

    public VerticalCylinder[] Cylinders { get; }

    public Ball[] Balls { get; }

    public BoundingSphere[] BoxSpheres { get; }

    public BoundingSphere[] CylinderSpheres { get; }

    /// <summary>
    /// Bounding spheres of all primitives in global order: boxes, then cylinders, then balls. A global index g refers
    /// to Boxes[g] below Boxes.Length, then to Cylinders, then to Balls.
    /// </summary>
    public BoundingSphere[] Spheres { get; }

    /// <summary>Every global index in ascending order: the candidate list when no index narrows it.</summary>
    public int[] All { get; }

    public int Count => Spheres.Length;

    /// <summary>True when <paramref name="p"/> is strictly inside some primitive.</summary>
    public bool Contains(Vec3 p)
    {
        foreach (ref readonly OrientedBox box in Boxes.AsSpan())
        {
            if (box.Contains(p))
            {
                return true;
            }
        }

        foreach (ref readonly VerticalCylinder cylinder in Cylinders.AsSpan())
        {
            if (cylinder.Contains(p))
            {
                return true;
            }
        }

        foreach (ref readonly Ball ball in Balls.AsSpan())
        {
            if (ball.Contains(p))
            {
                return true;
            }
        }

        return false;
    }
}

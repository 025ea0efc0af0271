namespace Disco.Geo.Scenes.Geometry;

/// <summary>
/// The free space of a room: a union of axis-aligned boxes that share floor (z = 0) and ceiling heights. One box is a
/// plain rectangular room; two overlapping boxes make an L- or T-shaped room. Rays start inside and are traced to the
/// first point where they leave the union.
/// </summary>
internal sealed class RoomShape
{
    // Two parts touch or overlap along a plane; a ray reaching it within this distance continues into the next part.
    private const double Tolerance = 1e-9;

    private readonly Aabb[] _parts;

    public RoomShape(params Aabb[] parts)
    {
        if (parts.Length == 0)
        {
            throw new ArgumentException("A room needs at least one box.", nameof(parts));
        }

        _parts = parts;
        Vec3 min = parts[0].Min;
        Vec3 max = parts[0].Max;
        foreach (Aabb part in parts)
        {
            min = new Vec3(Math.Min(min.X, part.Min.X), Math.Min(min.Y, part.Min.Y), Math.Min(min.Z, part.Min.Z));
            max = new Vec3(Math.Max(max.X, part.Max.X), Math.Max(max.Y, part.Max.Y), Math.Max(max.Z, part.Max.Z));
        }

        Bounds = new Aabb(min, max);
    }

    public ReadOnlySpan<Aabb> Parts => _parts;

    public Aabb Bounds { get; }

    public bool IsConvex => _parts.Length == 1;

    /// <summary>True when <paramref name="p"/> lies inside one part with at least <paramref name="margin"/> to its faces.</summary>
    public bool Contains(Vec3 p, double margin)
    {
        foreach (Aabb part in _parts)
        {
            if (part.Contains(p, margin))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when one part holds both points, so the segment between them stays inside the room.</summary>
    public bool ShareAPart(Vec3 a, Vec3 b)
    {
        foreach (Aabb part in _parts)
        {
            if (part.Contains(a, 0) && part.Contains(b, 0))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Distance along the ray from <paramref name="origin"/> (inside the room) to where it leaves the room, and the
    /// face it leaves through. For a single box this is min over the axes of (bound − o)/d, the exact ray–plane
    /// distance. Returns 0 when the origin is outside.
    /// </summary>
    public double Exit(Vec3 origin, Vec3 direction, out RoomFace face)
    {
        if (_parts.Length == 1)
        {
            return ExitOf(_parts[0], origin, direction, out face);
        }

        // Each part's entry and exit along this ray are fixed; compute them once, then walk from part to part.
        int count = _parts.Length;
        Span<double> entries = stackalloc double[count];
        Span<double> exits = stackalloc double[count];
        Span<RoomFace> faces = stackalloc RoomFace[count];
        for (int k = 0; k < count; k++)
        {
            exits[k] = ExitOf(_parts[k], origin, direction, out faces[k]);
            entries[k] = EntryOf(_parts[k], origin, direction);
        }

        double t = 0;
        face = default;
        for (int step = 0; step <= count; step++)
        {
            int best = -1;
            double bestExit = t + Tolerance;
            for (int k = 0; k < count; k++)
            {
                if (exits[k] > bestExit && entries[k] <= t + Tolerance)
                {
                    best = k;
                    bestExit = exits[k];
                }
            }

            if (best < 0)
            {
                break;
            }

            t = exits[best];
            face = faces[best];
        }

        return t;
    }

    /// <summary>
    /// Distance from <paramref name="p"/> (inside) to the room's boundary moving along one axis, forwards when
    /// <paramref name="positive"/>: the same walk through the parts as <see cref="Exit"/>, without divisions.
    /// </summary>
    public double ExitAlongAxis(Vec3 p, int axis, bool positive)
    {
        double position = Component(p, axis);
        if (_parts.Length == 1)
        {
            return positive ? Component(_parts[0].Max, axis) - position : position - Component(_parts[0].Min, axis);
        }

        double t = 0;
        for (int step = 0; step <= _parts.Length; step++)
        {
            double best = t;
            foreach (Aabb part in _parts)
            {
                double lo = Component(part.Min, axis);
                double hi = Component(part.Max, axis);
                double at = positive ? position + t : position - t;
                if (!WithinOtherAxes(part, p, axis) || at < lo - Tolerance || at > hi + Tolerance)
                {
                    continue;
                }

                double far = positive ? hi - position : position - lo;
                best = Math.Max(best, far);
            }

            if (best <= t + Tolerance)
            {
                break;
            }

            t = best;
        }

        return t;
    }

    private static double Component(Vec3 v, int axis) => axis switch
    {
        0 => v.X,
        1 => v.Y,
        _ => v.Z,
    };

    private static bool WithinOtherAxes(Aabb part, Vec3 p, int axis) =>
        (axis == 0 || (p.X >= part.Min.X && p.X <= part.Max.X)) &&
        (axis == 1 || (p.Y >= part.Min.Y && p.Y <= part.Max.Y)) &&
        (axis == 2 || (p.Z >= part.Min.Z && p.Z <= part.Max.Z));

    private static double ExitOf(Aabb part, Vec3 o, Vec3 d, out RoomFace face)
    {
        double t = double.PositiveInfinity;
        face = default;
        Consider(0, o.X, d.X, part.Min.X, part.Max.X, ref t, ref face);
        Consider(1, o.Y, d.Y, part.Min.Y, part.Max.Y, ref t, ref face);
        Consider(2, o.Z, d.Z, part.Min.Z, part.Max.Z, ref t, ref face);
        return t;

        static void Consider(int axis, double o, double d, double min, double max, ref double t, ref RoomFace face)
        {
            if (d == 0)
            {
                return;
            }

            double bound = d > 0 ? max : min;
            double candidate = (bound - o) / d;
            if (candidate < t)
            {
                t = candidate;
                face = new RoomFace(axis, d > 0, bound);
            }
        }
    }

    private static double EntryOf(Aabb part, Vec3 o, Vec3 d) =>
        part.Slab(o, d, out double near, out double far) && far >= near ? near : double.PositiveInfinity;
}

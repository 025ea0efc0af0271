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

    // Per part and face (axis · 2 + (max ? 1 : 0)): true when no other part touches that face, so it is wall all over.
    private readonly bool[] _solidFaces;

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
        _solidFaces = new bool[6 * parts.Length];
        for (int k = 0; k < parts.Length; k++)
        {
            for (int face = 0; face < 6; face++)
            {
                _solidFaces[6 * k + face] = !TouchesAnotherPart(k, face / 2, face % 2 == 1);
            }
        }
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

        // Each part's entry and exit along this ray are fixed; compute them once (with one division per axis rather
        // than per plane), then walk from part to part.
        int count = _parts.Length;
        Span<double> entries = stackalloc double[count];
        Span<double> exits = stackalloc double[count];
        Span<RoomFace> faces = stackalloc RoomFace[count];
        Vec3 inverse = new(1 / direction.X, 1 / direction.Y, 1 / direction.Z);
        for (int k = 0; k < count; k++)
        {
            (entries[k], exits[k], faces[k]) = Interval(_parts[k], origin, direction, inverse);
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
        for (int k = 0; k < _parts.Length; k++)
        {
            // Inside a part whose face ahead is solid wall, that face is the answer.
            if (_parts[k].Contains(p, 0) && _solidFaces[6 * k + 2 * axis + (positive ? 1 : 0)])
            {
                return positive ? Component(_parts[k].Max, axis) - position : position - Component(_parts[k].Min, axis);
            }
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

    private bool TouchesAnotherPart(int k, int axis, bool atMax)
    {
        Aabb part = _parts[k];
        double plane = Component(atMax ? part.Max : part.Min, axis);
        for (int other = 0; other < _parts.Length; other++)
        {
            Aabb o = _parts[other];
            bool reachesPlane = Component(o.Min, axis) <= plane && Component(o.Max, axis) >= plane;
            bool overlapsFace = true;
            for (int a = 0; a < 3; a++)
            {
                if (a != axis)
                {
                    overlapsFace &= Component(o.Min, a) < Component(part.Max, a) && Component(part.Min, a) < Component(o.Max, a);
                }
            }

            if (other != k && reachesPlane && overlapsFace)
            {
                return true;
            }
        }

        return false;
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

    /// <summary>
    /// Where the ray enters and leaves one part, and the face it leaves through; entry is +∞ when it never enters.
    /// Axes with d = 0 constrain only through the origin's position, avoiding 0 × ∞.
    /// </summary>
    private static (double Entry, double Exit, RoomFace Face) Interval(Aabb part, Vec3 o, Vec3 d, Vec3 inverse)
    {
        double near = double.NegativeInfinity;
        double far = double.PositiveInfinity;
        RoomFace face = default;
        bool inside = Axis(0, o.X, d.X, inverse.X, part.Min.X, part.Max.X, ref near, ref far, ref face) &&
                      Axis(1, o.Y, d.Y, inverse.Y, part.Min.Y, part.Max.Y, ref near, ref far, ref face) &&
                      Axis(2, o.Z, d.Z, inverse.Z, part.Min.Z, part.Max.Z, ref near, ref far, ref face);
        return (inside && near <= far ? near : double.PositiveInfinity, far, face);

        static bool Axis(int axis, double o, double d, double inverse, double min, double max, ref double near, ref double far, ref RoomFace face)
        {
            if (d == 0)
            {
                return o >= min && o <= max;
            }

            double toMin = (min - o) * inverse;
            double toMax = (max - o) * inverse;
            double entry = d > 0 ? toMin : toMax;
            double exit = d > 0 ? toMax : toMin;
            near = Math.Max(near, entry);
            if (exit < far)
            {
                far = exit;
                face = new RoomFace(axis, d > 0, d > 0 ? max : min);
            }

            return true;
        }
    }
}

using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Geometry;

/// <summary>
/// A box turned by <c>yaw</c> about the vertical axis through its centre: cabinets, tables, beds, shelves, frames.
/// Rays are moved into the box frame by a 2D rotation and then clipped against the slabs ±half-size; with yaw 0 the
/// rotation is the identity bit for bit, so face distances are exact ray–plane distances.
/// </summary>
internal readonly struct OrientedBox
{
    private readonly Vec3 _centre;
    private readonly Vec3 _half;
    private readonly double _cos;
    private readonly double _sin;

    public OrientedBox(int id, Vec3 centre, Vec3 halfSize, double yaw, int material)
    {
        Id = id;
        Material = material;
        _centre = centre;
        _half = halfSize;
        (_sin, _cos) = DeterministicMath.SinCos(yaw);
    }

    public int Id { get; }

    public int Material { get; }

    /// <summary>World-axis bounding box.</summary>
    public Aabb Bounds
    {
        get
        {
            double ex = Math.Abs(_cos) * _half.X + Math.Abs(_sin) * _half.Y;
            double ey = Math.Abs(_sin) * _half.X + Math.Abs(_cos) * _half.Y;
            return new Aabb(new Vec3(_centre.X - ex, _centre.Y - ey, _centre.Z - _half.Z), new Vec3(_centre.X + ex, _centre.Y + ey, _centre.Z + _half.Z));
        }
    }

    /// <summary>The sphere through the box's corners.</summary>
    public BoundingSphere Sphere => new(_centre, _half.Length);

    /// <summary>Nearest t in (tMin, tMax) where the ray meets the box surface.</summary>
    public bool Intersect(Vec3 o, Vec3 d, double tMin, double tMax, out double t)
    {
        double px = o.X - _centre.X;
        double py = o.Y - _centre.Y;
        double lx = _cos * px + _sin * py;
        double ly = -_sin * px + _cos * py;
        double lz = o.Z - _centre.Z;
        double dx = _cos * d.X + _sin * d.Y;
        double dy = -_sin * d.X + _cos * d.Y;

        double near = double.NegativeInfinity;
        double far = double.PositiveInfinity;
        t = 0;
        if (!Clip(lx, dx, _half.X, ref near, ref far) ||
            !Clip(ly, dy, _half.Y, ref near, ref far) ||
            !Clip(lz, d.Z, _half.Z, ref near, ref far))
        {
            return false;
        }

        // An origin inside the box (only possible for shadow rays leaving a touching surface) counts the exit.
        t = near > tMin ? near : far;
        return t > tMin && t < tMax;
    }

    public bool Contains(Vec3 p)
    {
        Vec3 local = ToLocal(p);
        return Math.Abs(local.X) < _half.X && Math.Abs(local.Y) < _half.Y && Math.Abs(local.Z) < _half.Z;
    }

    /// <summary>Outward normal and face texture coordinates (metres from the face's corner) at a surface point.</summary>
    public void Surface(Vec3 p, out Vec3 normal, out double u, out double v)
    {
        Vec3 local = ToLocal(p);
        double rx = Math.Abs(local.X) / _half.X;
        double ry = Math.Abs(local.Y) / _half.Y;
        double rz = Math.Abs(local.Z) / _half.Z;
        Vec3 n;
        if (rz >= rx && rz >= ry)
        {
            n = new Vec3(0, 0, Math.Sign(local.Z));
            (u, v) = (local.X + _half.X, local.Y + _half.Y);
        }
        else if (rx >= ry)
        {
            n = new Vec3(Math.Sign(local.X), 0, 0);
            (u, v) = (local.Y + _half.Y, local.Z + _half.Z);
        }
        else
        {
            n = new Vec3(0, Math.Sign(local.Y), 0);
            (u, v) = (local.X + _half.X, local.Z + _half.Z);
        }

        normal = new Vec3(_cos * n.X - _sin * n.Y, _sin * n.X + _cos * n.Y, n.Z);
    }

    private Vec3 ToLocal(Vec3 p)
    {
        double px = p.X - _centre.X;
        double py = p.Y - _centre.Y;
        return new Vec3(_cos * px + _sin * py, -_sin * px + _cos * py, p.Z - _centre.Z);
    }

    private static bool Clip(double o, double d, double half, ref double near, ref double far)
    {
        if (d == 0)
        {
            return o > -half && o < half;
        }

        double t1 = (-half - o) / d;
        double t2 = (half - o) / d;
        if (t1 > t2)
        {
            (t1, t2) = (t2, t1);
        }

        near = Math.Max(near, t1);
        far = Math.Min(far, t2);
        return near <= far;
    }
}

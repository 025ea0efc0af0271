namespace Disco.Geo.Scenes.Geometry;

/// <summary>A capped cylinder with a vertical axis: stools, barrels, columns, lamp poles and shades, table legs.</summary>
internal readonly struct VerticalCylinder
{
    private readonly double _cx;
    private readonly double _cy;
    private readonly double _radius;
    private readonly double _zMin;
    private readonly double _zMax;

    public VerticalCylinder(int id, double centreX, double centreY, double radius, double zMin, double zMax, int material)
    {
        Id = id;
        Material = material;
        _cx = centreX;
        _cy = centreY;
        _radius = radius;
        _zMin = zMin;
        _zMax = zMax;
    }

    public int Id { get; }

    public int Material { get; }

    public Aabb Bounds => new(new Vec3(_cx - _radius, _cy - _radius, _zMin), new Vec3(_cx + _radius, _cy + _radius, _zMax));

    /// <summary>The sphere through the rims of both caps.</summary>
    public BoundingSphere Sphere
    {
        get
        {
            double halfHeight = 0.5 * (_zMax - _zMin);
            return new BoundingSphere(new Vec3(_cx, _cy, _zMin + halfHeight), Math.Sqrt(_radius * _radius + halfHeight * halfHeight));
        }
    }

    public bool Intersect(Vec3 o, Vec3 d, double tMin, double tMax, out double t)
    {
        double px = o.X - _cx;
        double py = o.Y - _cy;
        double r2 = _radius * _radius;
        double best = double.PositiveInfinity;

        double a = d.X * d.X + d.Y * d.Y;
        if (a > 0)
        {
            double halfB = px * d.X + py * d.Y;
            double c = px * px + py * py - r2;
            double discriminant = halfB * halfB - a * c;
            if (discriminant >= 0)
            {
                // Stable roots: q carries the sign of b so neither root suffers cancellation.
                double q = -(halfB + Math.CopySign(Math.Sqrt(discriminant), halfB));
                double r1 = q / a;
                double r2Root = q != 0 ? c / q : r1;
                best = SideHit(Math.Min(r1, r2Root), o.Z, d.Z, tMin, best);
                best = SideHit(Math.Max(r1, r2Root), o.Z, d.Z, tMin, best);
            }
        }

        if (d.Z != 0)
        {
            best = CapHit(_zMin, o.Z, px, py, d, tMin, r2, best);
            best = CapHit(_zMax, o.Z, px, py, d, tMin, r2, best);
        }

        t = best;
        return best < tMax;
    }

    private double SideHit(double candidate, double oz, double dz, double tMin, double best)
    {
        double z = oz + candidate * dz;
        return candidate > tMin && candidate < best && z >= _zMin && z <= _zMax ? candidate : best;
    }

    private static double CapHit(double z, double oz, double px, double py, Vec3 d, double tMin, double r2, double best)
    {
        double candidate = (z - oz) / d.Z;
        double x = px + candidate * d.X;
        double y = py + candidate * d.Y;
        return candidate > tMin && candidate < best && x * x + y * y <= r2 ? candidate : best;
    }

    public bool Contains(Vec3 p)
    {
        double x = p.X - _cx;
        double y = p.Y - _cy;
        return p.Z > _zMin && p.Z < _zMax && x * x + y * y < _radius * _radius;
    }

    public void Surface(Vec3 p, out Vec3 normal, out double u, out double v)
    {
        double x = p.X - _cx;
        double y = p.Y - _cy;
        double radial = Math.Sqrt(x * x + y * y);
        double toSide = Math.Abs(radial - _radius);
        double toTop = Math.Abs(p.Z - _zMax);
        double toBottom = Math.Abs(p.Z - _zMin);
        if (toTop <= toSide && toTop <= toBottom)
        {
            normal = Vec3.UnitZ;
            (u, v) = (x, y);
        }
        else if (toBottom <= toSide)
        {
            normal = -Vec3.UnitZ;
            (u, v) = (x, y);
        }
        else
        {
            normal = new Vec3(x / radial, y / radial, 0);
            // Planar projection along the diagonal keeps noise-like textures continuous around the side.
            (u, v) = (x - y, p.Z - _zMin);
        }
    }
}

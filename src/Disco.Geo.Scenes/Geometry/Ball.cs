namespace Disco.Geo.Scenes.Geometry;

/// <summary>A sphere: balls, globes, vases, lamp shades.</summary>
internal readonly struct Ball
{
    private readonly Vec3 _centre;
    private readonly double _radius;

    public Ball(int id, Vec3 centre, double radius, int material)
    {
        Id = id;
        Material = material;
        _centre = centre;
        _radius = radius;
    }

    public int Id { get; }

    public int Material { get; }

    public Aabb Bounds => new(_centre - new Vec3(_radius, _radius, _radius), _centre + new Vec3(_radius, _radius, _radius));

    public Vec3 Centre => _centre;

    public BoundingSphere Sphere => new(_centre, _radius);

    public bool Intersect(Vec3 o, Vec3 d, double tMin, double tMax, out double t)
    {
        Vec3 p = o - _centre;
        double a = Vec3.Dot(d, d);
        double halfB = Vec3.Dot(p, d);
        double c = Vec3.Dot(p, p) - _radius * _radius;
        double discriminant = halfB * halfB - a * c;
        t = double.PositiveInfinity;
        if (discriminant < 0)
        {
            return false;
        }

        double q = -(halfB + Math.CopySign(Math.Sqrt(discriminant), halfB));
        double r1 = q / a;
        double r2 = q != 0 ? c / q : r1;
        double near = Math.Min(r1, r2);
        double far = Math.Max(r1, r2);
        t = near > tMin ? near : far;
        return t > tMin && t < tMax;
    }

    public bool Contains(Vec3 p)
    {
        Vec3 r = p - _centre;
        return Vec3.Dot(r, r) < _radius * _radius;
    }

    public void Surface(Vec3 p, out Vec3 normal, out double u, out double v)
    {
        normal = (p - _centre) * (1 / _radius);
        (u, v) = (p.X - p.Y, p.Z);
    }
}

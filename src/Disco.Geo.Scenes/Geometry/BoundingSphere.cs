namespace Disco.Geo.Scenes.Geometry;

/// <summary>
/// A sphere enclosing a primitive, for a cheap rejection test before the exact intersection: no divisions, and most
/// rays, shadow rays above all, miss most primitives.
/// </summary>
internal readonly struct BoundingSphere
{
    // Inflation that keeps the test conservative despite rounding in the distance computation.
    private const double Slack = 1e-6;

    private readonly Vec3 _centre;
    private readonly double _radius;
    private readonly double _radiusSquared;

    public BoundingSphere(Vec3 centre, double radius)
    {
        _centre = centre;
        _radius = radius + Slack;
        _radiusSquared = _radius * _radius;
    }

    public Vec3 Centre => _centre;

    /// <summary>Radius including the rounding slack.</summary>
    public double Radius => _radius;

    /// <summary>False only when the unit-direction ray certainly misses the sphere for t in (tMin, tMax).</summary>
    public bool MayHit(Vec3 o, Vec3 d, double tMin, double tMax)
    {
        Vec3 toCentre = _centre - o;
        double along = Vec3.Dot(toCentre, d);
        if (along + _radius <= tMin || along - _radius >= tMax)
        {
            return false;
        }

        return Vec3.Dot(toCentre, toCentre) - along * along <= _radiusSquared;
    }
}

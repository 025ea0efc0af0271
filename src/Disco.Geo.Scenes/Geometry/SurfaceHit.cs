namespace Disco.Geo.Scenes.Geometry;

/// <summary>The first surface along a ray, with what shading and labelling need.</summary>
internal struct SurfaceHit
{
    /// <summary>Distance along the (unit) ray from its origin, in metres.</summary>
    public double Distance;

    public Vec3 Point;

    /// <summary>Unit normal on the side the ray came from.</summary>
    public Vec3 Normal;

    /// <summary>Texture coordinates in metres.</summary>
    public double U;

    public double V;

    public int Material;

    public byte Label;

    /// <summary>Id of the primitive hit, or −1 for the room's floor, walls and ceiling.</summary>
    public int PrimitiveId;
}

namespace Disco.Geo.Scenes.Geometry;

/// <summary>
/// One of the room's bounding planes, as seen from inside: the plane {x_Axis = Coordinate}, with the room on the
/// lower side when <see cref="AtMax"/> (the plane is a part's maximum) and on the upper side otherwise.
/// </summary>
internal readonly record struct RoomFace(int Axis, bool AtMax, double Coordinate)
{
    public bool IsFloor => Axis == 2 && !AtMax;

    public bool IsCeiling => Axis == 2 && AtMax;

    /// <summary>Unit normal pointing into the room.</summary>
    public Vec3 InwardNormal
    {
        get
        {
            double s = AtMax ? -1 : 1;
            return Axis switch
            {
                0 => new Vec3(s, 0, 0),
                1 => new Vec3(0, s, 0),
                _ => new Vec3(0, 0, s),
            };
        }
    }

    /// <summary>
    /// Texture coordinates of a point on this face in metres: (x, y) on floor and ceiling, (horizontal, z) on walls,
    /// so patterns stay aligned with the room's edges.
    /// </summary>
    public (double U, double V) Coordinates(Vec3 p) => Axis switch
    {
        0 => (p.Y, p.Z),
        1 => (p.X, p.Z),
        _ => (p.X, p.Y),
    };
}

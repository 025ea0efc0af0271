namespace Disco.Geo.Scenes.Geometry;

/// <summary>
/// A rectangle painted on a room face: a door or window on a wall, a light panel on the ceiling. It keeps the label
/// of its face (doors and windows are wall) and only changes the material. [U0, U1] × [V0, V1] is in the face's
/// texture coordinates (<see cref="RoomFace.Coordinates"/>).
/// </summary>
internal readonly record struct WallPatch(RoomFace Face, double U0, double U1, double V0, double V1, int Material)
{
    public bool Covers(RoomFace face, double u, double v) =>
        face == Face && u >= U0 && u <= U1 && v >= V0 && v <= V1;
}

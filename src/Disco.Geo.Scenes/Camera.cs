namespace Disco.Geo.Scenes;

/// <summary>
/// Where a panorama is taken from and how the camera is turned. Positions are in metres in the scene's frame (x east,
/// y north, z up; the floor is z = 0). The camera frame is right-handed with x forward, y to the left and z up; its
/// orientation is the rotation Rz(<see cref="Yaw"/>)·Ry(−<see cref="Pitch"/>)·Rx(<see cref="Roll"/>) from camera
/// to scene frame, i.e. roll first, then pitch, then yaw:
/// <list type="bullet">
/// <item><see cref="Yaw"/> turns the camera counter-clockwise seen from above (towards its left), in radians.</item>
/// <item><see cref="Pitch"/> tilts the forward axis up, in radians.</item>
/// <item><see cref="Roll"/> turns the camera about its forward axis so that its left side rises, in radians.</item>
/// </list>
/// A panorama pixel at camera azimuth φ (clockwise, see <see cref="Rendering.SphericalProjection"/>) therefore sees
/// the scene direction Yaw − φ counter-clockwise from the scene's x axis when pitch and roll are zero. Any rotation
/// is reachable with yaw, roll ∈ [−π, π) and pitch ∈ [−π/2, π/2].
/// </summary>
/// <param name="X">Camera centre, metres east of the room's west wall.</param>
/// <param name="Y">Camera centre, metres north of the room's south wall.</param>
/// <param name="Z">Camera centre, metres above the floor.</param>
/// <param name="Yaw">Heading in radians, counter-clockwise from the scene's x axis.</param>
/// <param name="Pitch">Elevation of the forward axis in radians.</param>
/// <param name="Roll">Rotation about the forward axis in radians, left side up.</param>
public readonly record struct Camera(double X, double Y, double Z, double Yaw = 0, double Pitch = 0, double Roll = 0)
{
    /// <summary>True when the camera is upright (no pitch and no roll), so its rotation is a pure turn about z.</summary>
    public bool IsUpright => Pitch == 0 && Roll == 0;

    /// <summary>The same position with another orientation.</summary>
    public Camera WithOrientation(double yaw, double pitch, double roll) => this with { Yaw = yaw, Pitch = pitch, Roll = roll };
}

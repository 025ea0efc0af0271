namespace Disco.Geo.Scenes.Generation;

/// <summary>How dataset cameras are turned, for rotation experiments.</summary>
public enum CameraRotationMode
{
    /// <summary>Upright cameras with the scene's random heading: the usual panorama, horizon in the middle row.</summary>
    Upright,

    /// <summary>
    /// A uniformly random orientation (Haar measure on SO(3)) on top of the scene's heading: the "R" setting of
    /// rotation-robustness protocols. Drawn from its own stream, so scenes and positions equal the upright ones.
    /// </summary>
    Random,
}

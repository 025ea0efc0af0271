using Disco.Geo.Scenes.Rendering;

namespace Disco.Geo.Scenes.Generation;

/// <summary>Options of <see cref="PanoramaDataset"/>: what scenes to draw, how to render them, how to turn the camera.</summary>
public sealed record DatasetOptions
{
    /// <summary>Ranges for rooms, furniture and lights.</summary>
    public SceneOptions Scene { get; init; } = new();

    /// <summary>Supersampling and threads.</summary>
    public RenderOptions Render { get; init; } = new();

    /// <summary>Upright cameras, or uniformly random orientations.</summary>
    public CameraRotationMode Rotation { get; init; } = CameraRotationMode.Upright;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Scene, nameof(Scene));
        ArgumentNullException.ThrowIfNull(Render, nameof(Render));
        Scene.Validate();
        Render.Validate();
        if (!Enum.IsDefined(Rotation))
        {
            throw new ArgumentException($"Rotation = {(int)Rotation} is not a CameraRotationMode; use Upright or Random.", nameof(Rotation));
        }
    }
}

using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Lighting;
using Disco.Geo.Scenes.Materials;

namespace Disco.Geo.Scenes;

/// <summary>
/// An indoor scene ready to render: a room (one box, or two merged into an L or T shape) whose floor is z = 0 and
/// whose bounding box is [0, <see cref="Width"/>] × [0, <see cref="Depth"/>] × [0, <see cref="Height"/>] metres, with
/// textured surfaces, doors, windows, furniture and lights, plus the camera it was generated with. Immutable and safe
/// to render from several threads. Create one with <see cref="Generation.SceneGenerator.Create"/>.
/// </summary>
public sealed class Scene
{
    private ShadowIndex? _shadowIndex;

    internal Scene(RoomShape room, Material[] materials, int floorMaterial, int wallMaterial, int ceilingMaterial)
    {
        Room = room;
        Materials = materials;
        FloorMaterial = floorMaterial;
        WallMaterial = wallMaterial;
        CeilingMaterial = ceilingMaterial;
    }

    /// <summary>The seed the scene was generated from (0 for hand-built scenes).</summary>
    public ulong Seed { get; internal init; }

    /// <summary>The camera drawn with the scene: inside the room, clear of objects, upright, random heading.</summary>
    public Camera Camera { get; internal init; }

    /// <summary>Extent of the room's bounding box along x, in metres.</summary>
    public double Width => Room.Bounds.Max.X;

    /// <summary>Extent of the room's bounding box along y, in metres.</summary>
    public double Depth => Room.Bounds.Max.Y;

    /// <summary>Floor-to-ceiling height in metres.</summary>
    public double Height => Room.Bounds.Max.Z;

    /// <summary>True when the room is two merged boxes (an L or T shape) rather than one.</summary>
    public bool IsLShaped => !Room.IsConvex;

    /// <summary>Number of geometric primitives (boxes, cylinders, spheres) making up the objects.</summary>
    public int PrimitiveCount => Primitives.Count;

    /// <summary>Number of light sources (bulbs and ceiling panels).</summary>
    public int LightCount => PointLights.Length + PanelLights.Length;

    /// <summary>Length of the bounding box's diagonal: no rendered depth exceeds it.</summary>
    public double MaxDistance => Room.Bounds.Size.Length;

    internal RoomShape Room { get; }

    internal Material[] Materials { get; }

    internal int FloorMaterial { get; }

    internal int CeilingMaterial { get; }

    internal int WallMaterial { get; }

    internal WallPatch[] Patches { get; init; } = [];

    internal PrimitiveSet Primitives { get; init; } = PrimitiveSet.Empty;

    internal PointLight[] PointLights { get; init; } = [];

    internal PanelLight[] PanelLights { get; init; } = [];

    /// <summary>Irradiance reaching every surface regardless of lights: the stand-in for indirect light.</summary>
    internal Rgb Ambient { get; init; } = Rgb.Grey(0.3);

    /// <summary>Distance at which a light's irradiance has halved: falloff 1 / (1 + (d / FalloffDistance)²).</summary>
    internal double FalloffDistance { get; init; } = 4;

    /// <summary>Scale applied to radiance before the tone curve.</summary>
    internal double Exposure { get; init; } = 1;

    /// <summary>How far inside the room a camera must be, in metres: a camera on a wall would see depth 0.</summary>
    public const double MinimumWallClearance = 1e-3;

    /// <summary>
    /// True when (x, y, z) is inside the room, at least <see cref="MinimumWallClearance"/> from its faces, and outside
    /// every object: a valid camera position.
    /// </summary>
    public bool IsFreeSpace(double x, double y, double z)
    {
        Vec3 p = new(x, y, z);
        return Room.Contains(p, MinimumWallClearance) && !IsInsideObject(p);
    }

    /// <summary>Built on first use; concurrent first uses may each build one, and all are identical.</summary>
    internal ShadowIndex ShadowIndex =>
        _shadowIndex ??= new ShadowIndex(Primitives, PointLights, PanelLights);

    internal bool IsInsideObject(Vec3 p) => Primitives.Contains(p);
}

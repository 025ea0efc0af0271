using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Lighting;
using Disco.Geo.Scenes.Materials;
using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Generation;

/// <summary>
/// A scene while it is being generated: the room, the camera position, and growing lists of materials, primitives,
/// patches and lights, plus the volumes already taken so that new items do not intersect them.
/// </summary>
internal sealed class SceneDraft
{
    private readonly List<Aabb> _occupied = [];
    private int _nextId;

    public SceneDraft(RandomStream random, SceneOptions options, RoomShape room, Vec3 camera)
    {
        Random = random;
        Options = options;
        Room = room;
        Camera = camera;
    }

    public RandomStream Random { get; }

    public SceneOptions Options { get; }

    public RoomShape Room { get; }

    public double RoomHeight => Room.Bounds.Max.Z;

    public Vec3 Camera { get; }

    public List<Material> Materials { get; } = [];

    public List<OrientedBox> Boxes { get; } = [];

    public List<VerticalCylinder> Cylinders { get; } = [];

    public List<Ball> Balls { get; } = [];

    public List<WallPatch> Patches { get; } = [];

    public List<PointLight> PointLights { get; } = [];

    public List<PanelLight> PanelLights { get; } = [];

    public int AddMaterial(Material material)
    {
        Materials.Add(material);
        return Materials.Count - 1;
    }

    /// <summary>A fresh primitive id; ids of rejected plans are simply never used.</summary>
    public int NewId() => _nextId++;

    /// <summary>Marks a volume as taken (an item, or the space in front of a door or window).</summary>
    public void Occupy(Aabb volume) => _occupied.Add(volume);

    /// <summary>
    /// True when <paramref name="bounds"/> fits inside one part of the room (touching its faces is fine) and keeps
    /// <paramref name="gap"/> metres horizontally from every taken volume.
    /// </summary>
    public bool IsFree(Aabb bounds, double gap)
    {
        if (!FitsInRoom(bounds))
        {
            return false;
        }

        Aabb padded = new(bounds.Min - new Vec3(gap, gap, 0), bounds.Max + new Vec3(gap, gap, 0));
        foreach (Aabb taken in _occupied)
        {
            if (padded.Overlaps(taken))
            {
                return false;
            }
        }

        return true;
    }

    private bool FitsInRoom(Aabb bounds)
    {
        const double slack = 1e-9;
        foreach (Aabb part in Room.Parts)
        {
            if (bounds.Min.X >= part.Min.X - slack && bounds.Max.X <= part.Max.X + slack &&
                bounds.Min.Y >= part.Min.Y - slack && bounds.Max.Y <= part.Max.Y + slack &&
                bounds.Min.Z >= part.Min.Z - slack && bounds.Max.Z <= part.Max.Z + slack)
            {
                return true;
            }
        }

        return false;
    }
}

using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Materials;

namespace Disco.Geo.Scenes.Generation;

/// <summary>
/// The primitives of one item (a table is a top and four legs) collected before it is placed, so the whole item is
/// checked against the room, the other items and the camera, and then committed or dropped as one.
/// </summary>
internal sealed class ItemPlan
{
    // Horizontal radius around the camera kept free of anything below it.
    private const double TripodRadius = 0.3;

    private readonly SceneDraft _draft;
    private readonly List<OrientedBox> _boxes = [];
    private readonly List<VerticalCylinder> _cylinders = [];
    private readonly List<Ball> _balls = [];

    public ItemPlan(SceneDraft draft)
    {
        _draft = draft;
    }

    /// <summary>Union of the primitives' bounds; empty plans have none.</summary>
    public Aabb? Bounds { get; private set; }

    public int AddMaterial(Material material) => _draft.AddMaterial(material);

    public int AddBox(Vec3 centre, Vec3 halfSize, double yaw, int material)
    {
        OrientedBox box = new(_draft.NewId(), centre, halfSize, yaw, material);
        _boxes.Add(box);
        Grow(box.Bounds);
        return box.Id;
    }

    /// <summary>A box resting on z = bottom, given its footprint centre and full sizes.</summary>
    public int AddBoxOn(double x, double y, double bottom, double sizeX, double sizeY, double sizeZ, double yaw, int material) =>
        AddBox(new Vec3(x, y, bottom + 0.5 * sizeZ), new Vec3(0.5 * sizeX, 0.5 * sizeY, 0.5 * sizeZ), yaw, material);

    public int AddCylinder(double x, double y, double radius, double zMin, double zMax, int material)
    {
        VerticalCylinder cylinder = new(_draft.NewId(), x, y, radius, zMin, zMax, material);
        _cylinders.Add(cylinder);
        Grow(cylinder.Bounds);
        return cylinder.Id;
    }

    public int AddBall(Vec3 centre, double radius, int material)
    {
        Ball ball = new(_draft.NewId(), centre, radius, material);
        _balls.Add(ball);
        Grow(ball.Bounds);
        return ball.Id;
    }

    /// <summary>
    /// The item fits in the room and keeps <paramref name="gap"/> from other items, and each primitive keeps the
    /// camera clearance (checked per primitive, so a lamp may hang above a table). Nothing below the camera stands
    /// under it either: like a real 360° camera on its tripod, it looks down on open floor.
    /// </summary>
    public bool Fits(double gap)
    {
        if (Bounds is null || !_draft.IsFree(Bounds.Value, gap))
        {
            return false;
        }

        return _boxes.TrueForAll(b => ClearOfCamera(b.Bounds)) &&
               _cylinders.TrueForAll(c => ClearOfCamera(c.Bounds)) &&
               _balls.TrueForAll(b => ClearOfCamera(b.Bounds));
    }

    private bool ClearOfCamera(Aabb bounds)
    {
        Vec3 camera = _draft.Camera;
        if (bounds.DistanceTo(camera) < _draft.Options.CameraClearance)
        {
            return false;
        }

        Aabb column = new(new Vec3(camera.X, camera.Y, 0), new Vec3(camera.X, camera.Y, camera.Z));
        Aabb footprint = new(bounds.Min - new Vec3(TripodRadius, TripodRadius, 0), bounds.Max + new Vec3(TripodRadius, TripodRadius, 0));
        return bounds.Min.Z >= camera.Z || !footprint.Overlaps(column);
    }

    /// <summary>Adds the primitives to the scene and marks the item's bounds as taken.</summary>
    public void Commit()
    {
        _draft.Boxes.AddRange(_boxes);
        _draft.Cylinders.AddRange(_cylinders);
        _draft.Balls.AddRange(_balls);
        if (Bounds is Aabb bounds)
        {
            _draft.Occupy(bounds);
        }
    }

    private void Grow(Aabb b) => Bounds = Bounds is Aabb a
        ? new Aabb(
            new Vec3(Math.Min(a.Min.X, b.Min.X), Math.Min(a.Min.Y, b.Min.Y), Math.Min(a.Min.Z, b.Min.Z)),
            new Vec3(Math.Max(a.Max.X, b.Max.X), Math.Max(a.Max.Y, b.Max.Y), Math.Max(a.Max.Z, b.Max.Z)))
        : b;
}

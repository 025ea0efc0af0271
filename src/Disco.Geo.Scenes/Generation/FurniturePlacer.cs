using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Materials;
using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Generation;

/// <summary>
/// Furniture-like items built from boxes, cylinders and spheres: cabinets and wardrobes against walls, tables with
/// things on them, sofas, stacked crates, stools, plants, columns, balls, and wall-mounted shelves, cabinets and
/// pictures. Each item is tried at a few random places and kept only where it fits (see <see cref="ItemPlan"/>).
/// </summary>
internal static class FurniturePlacer
{
    private const int TriesPerItem = 4;

    private delegate bool ItemBuilder(SceneDraft draft);

    private static readonly (double Weight, ItemBuilder Build)[] Items =
    [
        (2.5, WallUnit),
        (2.0, Table),
        (1.2, Sofa),
        (1.2, Crates),
        (1.5, Cylinder),
        (0.6, Balls),
        (1.0, WallShelf),
        (1.6, Picture),
        (0.6, WallCabinet),
    ];

    public static void Place(SceneDraft draft)
    {
        RandomStream r = draft.Random;
        int count = r.NextInt(draft.Options.MinObjects, draft.Options.MaxObjects);
        Span<double> weights = stackalloc double[Items.Length];
        for (int k = 0; k < Items.Length; k++)
        {
            weights[k] = Items[k].Weight;
        }

        for (int placed = 0, tries = 0; placed < count && tries < TriesPerItem * count; tries++)
        {
            ItemBuilder build = Items[r.PickWeighted(weights)].Build;
            placed += build(draft) ? 1 : 0;
        }
    }

    private static bool WallUnit(SceneDraft draft)
    {
        RandomStream r = draft.Random;
        double width = r.Uniform(0.5, 2.0);
        double depth = r.Uniform(0.35, 0.65);
        double height = Math.Min(r.Uniform(0.6, 2.3), draft.RoomHeight - 0.2);
        if (RoomLayout.PickWall(r, draft.Room, width) is not RoomLayout.WallSpan span)
        {
            return false;
        }

        ItemPlan plan = new(draft);
        int body = draft.AddMaterial(Palette.Furniture(r));
        AgainstWall(plan, span, 0.01, depth, 0.08, height, body);
        AgainstWall(plan, span, 0.03, depth - 0.02, 0, 0.08, draft.AddMaterial(Palette.Furniture(r)), inset: 0.02);
        if (height < 1.3 && r.Chance(0.6))
        {
            Vec3 top = RoomLayout.PointOn(span.Face, span.Centre + r.Uniform(-0.3, 0.3) * (width - 0.3), height) + span.Face.InwardNormal * (0.01 + 0.5 * depth);
            Ornament(plan, r, top, 0.5 * Math.Min(depth, width) - 0.02);
        }

        return Commit(plan, 0.05);
    }

    private static bool Table(SceneDraft draft)
    {
        RandomStream r = draft.Random;
        if (!LightPlacer.TryFloorPoint(draft, 0.7, out double x, out double y))
        {
            return false;
        }

        double height = r.Uniform(0.68, 0.78);
        double thickness = r.Uniform(0.03, 0.05);
        int wood = draft.AddMaterial(r.Chance(0.6) ? Palette.SolidWood(r) : Palette.Furniture(r));
        ItemPlan plan = new(draft);
        double reach;
        if (r.Chance(0.3))
        {
            double radius = r.Uniform(0.35, 0.6);
            plan.AddCylinder(x, y, radius, height - thickness, height, wood);
            plan.AddCylinder(x, y, r.Uniform(0.04, 0.07), 0.02, height - thickness, wood);
            plan.AddCylinder(x, y, r.Uniform(0.2, 0.3), 0, 0.02, wood);
            reach = 0.6 * radius;
        }
        else
        {
            double length = r.Uniform(0.6, 1.8);
            double breadth = r.Uniform(0.6, Math.Min(1.1, length));
            double yaw = RandomYaw(r);
            double leg = r.Uniform(0.04, 0.07);
            plan.AddBoxOn(x, y, height - thickness, length, breadth, thickness, yaw, wood);
            (double s, double c) = DeterministicMath.SinCos(yaw);
            for (int k = 0; k < 4; k++)
            {
                double lx = (k % 2 == 0 ? -1 : 1) * (0.5 * length - 0.05 - 0.5 * leg);
                double ly = (k / 2 == 0 ? -1 : 1) * (0.5 * breadth - 0.05 - 0.5 * leg);
                plan.AddBoxOn(x + c * lx - s * ly, y + s * lx + c * ly, 0, leg, leg, height - thickness, yaw, wood);
            }

            reach = 0.3 * Math.Min(length, breadth);
        }

        int things = r.NextInt(0, 2);
        for (int k = 0; k < things; k++)
        {
            Ornament(plan, r, new Vec3(x + r.Uniform(-reach, reach), y + r.Uniform(-reach, reach), height), 0.15);
        }

        return Commit(plan, 0.1);
    }

    private static bool Sofa(SceneDraft draft)
    {
        RandomStream r = draft.Random;
        if (!LightPlacer.TryFloorPoint(draft, 1.0, out double x, out double y))
        {
            return false;
        }

        double length = r.Uniform(1.4, 2.2);
        double depth = r.Uniform(0.8, 1.6);
        double seat = r.Uniform(0.35, 0.5);
        double back = r.Uniform(0.15, 0.25);
        double yaw = RandomYaw(r);
        int fabric = draft.AddMaterial(Palette.Upholstery(r));
        ItemPlan plan = new(draft);
        plan.AddBoxOn(x, y, 0, length, depth, seat, yaw, fabric);
        if (r.Chance(0.75))
        {
            (double s, double c) = DeterministicMath.SinCos(yaw);
            double offset = -0.5 * depth + 0.5 * back;
            plan.AddBoxOn(x - s * offset, y + c * offset, seat, length, back, r.Uniform(0.3, 0.5), yaw, fabric);
        }

        return Commit(plan, 0.1);
    }

    private static bool Crates(SceneDraft draft)
    {
        RandomStream r = draft.Random;
        if (!LightPlacer.TryFloorPoint(draft, 0.5, out double x, out double y))
        {
            return false;
        }

        ItemPlan plan = new(draft);
        double size = r.Uniform(0.35, 0.85);
        double bottom = 0;
        int count = r.NextInt(1, 3);
        for (int k = 0; k < count; k++)
        {
            double height = size * r.Uniform(0.5, 1.0);
            plan.AddBoxOn(x, y, bottom, size, size * r.Uniform(0.7, 1.0), height, r.Uniform(-Math.PI, Math.PI), draft.AddMaterial(Palette.Furniture(r)));
            bottom += height;
            size *= r.Uniform(0.55, 0.85);
        }

        return Commit(plan, 0.1);
    }

    private static bool Cylinder(SceneDraft draft)
    {
        RandomStream r = draft.Random;
        if (!LightPlacer.TryFloorPoint(draft, 0.4, out double x, out double y))
        {
            return false;
        }

        ItemPlan plan = new(draft);
        switch (r.PickWeighted([0.45, 0.35, 0.2]))
        {
            case 0: // stool, barrel, pouf
                plan.AddCylinder(x, y, r.Uniform(0.15, 0.4), 0, r.Uniform(0.35, 0.9), draft.AddMaterial(Palette.Furniture(r)));
                break;
            case 1: // potted plant: pot and a round crown of foliage
                double pot = r.Uniform(0.12, 0.25);
                double potHeight = r.Uniform(0.25, 0.5);
                double crown = r.Uniform(0.25, 0.45);
                plan.AddCylinder(x, y, pot, 0, potHeight, draft.AddMaterial(Palette.Furniture(r)));
                plan.AddBall(new Vec3(x, y, potHeight + crown * 0.9), crown, draft.AddMaterial(Foliage(r)));
                break;
            default: // column from floor to ceiling
                plan.AddCylinder(x, y, r.Uniform(0.12, 0.3), 0, draft.RoomHeight, draft.AddMaterial(Palette.Furniture(r)));
                break;
        }

        return Commit(plan, 0.1);
    }

    private static bool Balls(SceneDraft draft)
    {
        RandomStream r = draft.Random;
        if (!LightPlacer.TryFloorPoint(draft, 0.4, out double x, out double y))
        {
            return false;
        }

        ItemPlan plan = new(draft);
        double radius = r.Uniform(0.1, 0.35);
        plan.AddBall(new Vec3(x, y, radius), radius, draft.AddMaterial(Palette.Furniture(r)));
        return Commit(plan, 0.05);
    }

    private static bool WallShelf(SceneDraft draft)
    {
        RandomStream r = draft.Random;
        double width = r.Uniform(0.6, 1.5);
        double depth = r.Uniform(0.18, 0.3);
        double z = Math.Min(r.Uniform(1.1, 2.0), draft.RoomHeight - 0.5);
        if (RoomLayout.PickWall(r, draft.Room, width) is not RoomLayout.WallSpan span)
        {
            return false;
        }

        ItemPlan plan = new(draft);
        AgainstWall(plan, span, 0, depth, z, z + r.Uniform(0.025, 0.04), draft.AddMaterial(Palette.SolidWood(r)));
        int things = r.NextInt(0, 3);
        for (int k = 0; k < things; k++)
        {
            double u = span.U0 + (k + 0.5) / things * width;
            Vec3 spot = RoomLayout.PointOn(span.Face, u, z + 0.04) + span.Face.InwardNormal * (0.5 * depth);
            Ornament(plan, r, spot, 0.5 * depth - 0.02);
        }

        return Commit(plan, 0.05);
    }

    private static bool Picture(SceneDraft draft)
    {
        RandomStream r = draft.Random;
        double width = r.Uniform(0.3, 1.2);
        double height = r.Uniform(0.3, 0.9);
        double centre = Math.Min(r.Uniform(1.3, 1.8), draft.RoomHeight - 0.3 - 0.5 * height);
        if (RoomLayout.PickWall(r, draft.Room, width) is not RoomLayout.WallSpan span)
        {
            return false;
        }

        int material = draft.AddMaterial(new Material
        {
            Kind = TextureKind.Painting,
            Primary = Palette.Any(r),
            Secondary = Palette.Any(r),
            Tertiary = Palette.Any(r),
            Accent = r.Chance(0.5) ? Palette.Wood(r) : Palette.Grey(r, 0.05, 0.9),
            Width = width,
            Height = height,
            Seed = r.NextUInt64(),
        });
        ItemPlan plan = new(draft);
        AgainstWall(plan, span, 0, r.Uniform(0.02, 0.04), centre - 0.5 * height, centre + 0.5 * height, material);
        return Commit(plan, 0.05);
    }

    private static bool WallCabinet(SceneDraft draft)
    {
        RandomStream r = draft.Random;
        double width = r.Uniform(0.6, 1.6);
        double bottom = r.Uniform(1.4, 1.7);
        double top = Math.Min(bottom + r.Uniform(0.5, 0.8), draft.RoomHeight - 0.1);
        if (RoomLayout.PickWall(r, draft.Room, width) is not RoomLayout.WallSpan span)
        {
            return false;
        }

        ItemPlan plan = new(draft);
        AgainstWall(plan, span, 0, r.Uniform(0.3, 0.4), bottom, top, draft.AddMaterial(Palette.Furniture(r)));
        return Commit(plan, 0.05);
    }

    /// <summary>A small thing standing at <paramref name="spot"/>: a vase, a ball, a book-like box or a bowl.</summary>
    private static void Ornament(ItemPlan plan, RandomStream r, Vec3 spot, double maxRadius)
    {
        double radius = Math.Min(r.Uniform(0.04, 0.14), maxRadius);
        if (radius < 0.03)
        {
            return;
        }

        switch (r.NextInt(3))
        {
            case 0:
                plan.AddCylinder(spot.X, spot.Y, radius, spot.Z, spot.Z + r.Uniform(0.1, 0.35), plan.AddMaterial(Palette.Furniture(r)));
                break;
            case 1:
                plan.AddBall(spot + new Vec3(0, 0, radius), radius, plan.AddMaterial(Palette.Furniture(r)));
                break;
            default:
                plan.AddBoxOn(spot.X, spot.Y, spot.Z, 1.6 * radius, 1.2 * radius, r.Uniform(0.05, 0.3), r.Uniform(-Math.PI, Math.PI), plan.AddMaterial(Palette.Furniture(r)));
                break;
        }
    }

    /// <summary>A box against the wall span: <paramref name="gap"/> off the wall, <paramref name="depth"/> deep, from z0 to z1.</summary>
    private static void AgainstWall(ItemPlan plan, RoomLayout.WallSpan span, double gap, double depth, double z0, double z1, int material, double inset = 0)
    {
        double width = span.U1 - span.U0 - 2 * inset;
        Vec3 centre = RoomLayout.PointOn(span.Face, span.Centre, 0.5 * (z0 + z1)) + span.Face.InwardNormal * (gap + 0.5 * depth);
        Vec3 half = span.Face.Axis == 0
            ? new Vec3(0.5 * depth, 0.5 * width, 0.5 * (z1 - z0))
            : new Vec3(0.5 * width, 0.5 * depth, 0.5 * (z1 - z0));
        plan.AddBox(centre, half, 0, material);
    }

    private static bool Commit(ItemPlan plan, double gap)
    {
        if (!plan.Fits(gap))
        {
            return false;
        }

        plan.Commit();
        return true;
    }

    /// <summary>Most furniture is aligned with the walls; some is turned freely.</summary>
    private static double RandomYaw(RandomStream r) => r.PickWeighted([0.35, 0.25, 0.4]) switch
    {
        0 => 0,
        1 => 0.5 * Math.PI,
        _ => r.Uniform(-Math.PI, Math.PI),
    };

    private static Material Foliage(RandomStream r) => new()
    {
        Kind = TextureKind.Fabric,
        Primary = Palette.Hsv(r.Uniform(80, 150), r.Uniform(0.4, 0.8), r.Uniform(0.25, 0.55)),
        Secondary = Palette.Hsv(r.Uniform(80, 150), r.Uniform(0.4, 0.8), r.Uniform(0.15, 0.4)),
        Variation = 0.15,
        Seed = r.NextUInt64(),
    };
}

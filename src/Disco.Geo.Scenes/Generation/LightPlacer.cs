using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Lighting;
using Disco.Geo.Scenes.Materials;
using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Generation;

/// <summary>
/// Lights of three kinds: ceiling panels (area lights, visible as glowing rectangles on the ceiling), pendant lamps
/// and floor lamps (bulbs inside glowing shades, which are objects). Intensities are relative; the generator sets the
/// exposure afterwards.
/// </summary>
internal static class LightPlacer
{
    public static void Place(SceneDraft draft)
    {
        RandomStream r = draft.Random;
        int count = r.NextInt(draft.Options.MinLights, draft.Options.MaxLights);
        int placed = 0;
        for (int attempt = 0; attempt < 6 * count && placed < count; attempt++)
        {
            Rgb tint = LightColour(r);
            double power = r.Uniform(0.7, 1.3) / count;
            bool ok = r.PickWeighted([0.45, 0.35, 0.2]) switch
            {
                0 => TryPanel(draft, tint, power),
                1 => TryPendant(draft, tint, power),
                _ => TryFloorLamp(draft, tint, power),
            };
            placed += ok ? 1 : 0;
        }

        // Every scene needs a light: fall back to a small panel above the camera if nothing else fitted.
        if (placed == 0)
        {
            AddPanel(draft, draft.Camera.X - 0.2, draft.Camera.X + 0.2, draft.Camera.Y - 0.2, draft.Camera.Y + 0.2, Rgb.Grey(1), 1);
        }
    }

    private static Rgb LightColour(RandomStream r) => r.PickWeighted([0.55, 0.3, 0.15]) switch
    {
        0 => Palette.Hsv(r.Uniform(28, 45), r.Uniform(0.1, 0.35), 1),
        1 => Palette.Hsv(r.Uniform(40, 60), r.Uniform(0, 0.08), 1),
        _ => Palette.Hsv(r.Uniform(190, 220), r.Uniform(0.05, 0.15), 1),
    };

    private static bool TryPanel(SceneDraft draft, Rgb tint, double power)
    {
        RandomStream r = draft.Random;
        double sizeX = r.Uniform(0.4, 1.2);
        double sizeY = r.Chance(0.5) ? sizeX : r.Uniform(0.4, 1.2);
        Aabb part = draft.Room.Parts[r.NextInt(draft.Room.Parts.Length)];
        if (part.Size.X < sizeX + 1 || part.Size.Y < sizeY + 1)
        {
            return false;
        }

        double x0 = r.Uniform(part.Min.X + 0.5, part.Max.X - 0.5 - sizeX);
        double y0 = r.Uniform(part.Min.Y + 0.5, part.Max.Y - 0.5 - sizeY);
        double h = draft.RoomHeight;
        Aabb slot = new(new Vec3(x0, y0, h - 0.05), new Vec3(x0 + sizeX, y0 + sizeY, h));
        if (!draft.IsFree(slot, 0.3))
        {
            return false;
        }

        draft.Occupy(slot);
        AddPanel(draft, x0, x0 + sizeX, y0, y0 + sizeY, tint, 2.2 * power);
        return true;
    }

    private static void AddPanel(SceneDraft draft, double x0, double x1, double y0, double y1, Rgb tint, double power)
    {
        RandomStream r = draft.Random;
        double h = draft.RoomHeight;
        int material = draft.AddMaterial(new Material
        {
            Kind = TextureKind.LightPanel,
            Primary = Rgb.Grey(0.9),
            Secondary = Palette.Grey(r, 0.5, 0.85),
            Emission = tint * r.Uniform(3, 6),
            Width = x1 - x0,
            Height = y1 - y0,
        });
        draft.Patches.Add(new WallPatch(new RoomFace(2, true, h), x0, x1, y0, y1, material));

        // A 2 × 2 grid of sample points just below the ceiling stands in for the panel's area.
        Vec3[] samples = new Vec3[4];
        for (int k = 0; k < 4; k++)
        {
            samples[k] = new Vec3(x0 + (x1 - x0) * (0.25 + 0.5 * (k % 2)), y0 + (y1 - y0) * (0.25 + 0.5 * (k / 2)), h - 1e-3);
        }

        Vec3 centre = new(0.5 * (x0 + x1), 0.5 * (y0 + y1), h - 1e-3);
        draft.PanelLights.Add(new PanelLight(samples, centre, Math.Max(x1 - x0, y1 - y0), tint * power));
    }

    private static bool TryPendant(SceneDraft draft, Rgb tint, double power)
    {
        RandomStream r = draft.Random;
        double h = draft.RoomHeight;
        double radius = r.Uniform(0.1, 0.25);
        double centreZ = Math.Min(r.Uniform(Math.Max(1.95 + radius, h - 1.2), h - 0.35), h - radius - 0.1);
        if (!TryFloorPoint(draft, 0.5, out double x, out double y))
        {
            return false;
        }

        ItemPlan plan = new(draft);
        int shadeMaterial = draft.AddMaterial(Shade(r, tint));
        int shade = r.Chance(0.6)
            ? plan.AddBall(new Vec3(x, y, centreZ), radius, shadeMaterial)
            : plan.AddCylinder(x, y, radius, centreZ - 0.5 * radius, centreZ + 0.5 * radius, shadeMaterial);
        plan.AddCylinder(x, y, 0.006, centreZ + 0.45 * radius, h, draft.AddMaterial(Palette.Furniture(r)));
        if (!plan.Fits(0.1))
        {
            return false;
        }

        plan.Commit();
        draft.PointLights.Add(new PointLight(new Vec3(x, y, centreZ), tint * power, shade));
        return true;
    }

    private static bool TryFloorLamp(SceneDraft draft, Rgb tint, double power)
    {
        RandomStream r = draft.Random;
        double poleTop = Math.Min(r.Uniform(1.2, 1.7), draft.RoomHeight - 0.6);
        double shadeRadius = r.Uniform(0.14, 0.24);
        double shadeHeight = r.Uniform(0.22, 0.35);
        if (!TryFloorPoint(draft, 0.3, out double x, out double y))
        {
            return false;
        }

        ItemPlan plan = new(draft);
        int metal = draft.AddMaterial(new Material { Kind = TextureKind.Paint, Primary = Palette.Grey(r, 0.1, 0.7), Variation = 0.02, Seed = r.NextUInt64() });
        plan.AddCylinder(x, y, r.Uniform(0.13, 0.18), 0, 0.025, metal);
        plan.AddCylinder(x, y, r.Uniform(0.012, 0.02), 0.025, poleTop, metal);
        int shade = plan.AddCylinder(x, y, shadeRadius, poleTop - 0.05, poleTop - 0.05 + shadeHeight, draft.AddMaterial(Shade(r, tint)));
        if (!plan.Fits(0.1))
        {
            return false;
        }

        plan.Commit();
        draft.PointLights.Add(new PointLight(new Vec3(x, y, poleTop - 0.05 + 0.5 * shadeHeight), tint * power, shade));
        return true;
    }

    private static Material Shade(RandomStream r, Rgb tint) => new()
    {
        Kind = TextureKind.Glow,
        Primary = Rgb.Lerp(tint, Palette.Any(r), 0.3) * 0.8,
        Emission = tint * r.Uniform(1.5, 3),
    };

    /// <summary>A uniformly random floor point at least <paramref name="margin"/> from the walls of its room part.</summary>
    internal static bool TryFloorPoint(SceneDraft draft, double margin, out double x, out double y)
    {
        RandomStream r = draft.Random;
        Aabb part = PickPartByArea(r, draft.Room);
        x = y = 0;
        if (part.Size.X <= 2 * margin || part.Size.Y <= 2 * margin)
        {
            return false;
        }

        x = r.Uniform(part.Min.X + margin, part.Max.X - margin);
        y = r.Uniform(part.Min.Y + margin, part.Max.Y - margin);
        return true;
    }

    internal static Aabb PickPartByArea(RandomStream r, RoomShape room)
    {
        ReadOnlySpan<Aabb> parts = room.Parts;
        Span<double> areas = stackalloc double[parts.Length];
        for (int k = 0; k < parts.Length; k++)
        {
            areas[k] = parts[k].Size.X * parts[k].Size.Y;
        }

        return parts[r.PickWeighted(areas)];
    }
}

using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Materials;
using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Generation;

/// <summary>
/// Doors and windows: rectangles painted on solid wall (label wall). Each also reserves the space in front of it, so
/// no furniture blocks a door and nothing hangs across a window.
/// </summary>
internal static class OpeningPlacer
{
    public static void PlaceDoors(SceneDraft draft)
    {
        RandomStream r = draft.Random;
        int count = r.NextInt(0, draft.Options.MaxDoors);
        for (int k = 0; k < count; k++)
        {
            double width = r.Uniform(0.8, 1.0);
            double height = Math.Min(r.Uniform(2.0, 2.15), draft.RoomHeight - 0.2);
            if (RoomLayout.PickWall(r, draft.Room, width) is not RoomLayout.WallSpan span)
            {
                continue;
            }

            Aabb front = RoomLayout.Slab(span.Face, span.U0 - 0.1, span.U1 + 0.1, 0, height, 0.9);
            if (!draft.IsFree(front, 0))
            {
                continue;
            }

            Rgb leaf = r.Chance(0.5) ? Palette.Wood(r) : Palette.WallPaint(r);
            int material = draft.AddMaterial(new Material
            {
                Kind = TextureKind.Door,
                Primary = leaf,
                Secondary = r.Chance(0.6) ? Palette.OffWhite(r) : leaf * 0.7,
                Accent = leaf * 0.45,
                Tertiary = Palette.Grey(r, 0.55, 0.85),
                Variation = r.Uniform(0.02, 0.08),
                Width = width,
                Height = height,
                Seed = r.NextUInt64(),
            });
            draft.Patches.Add(new WallPatch(span.Face, span.U0, span.U1, 0, height, material));
            draft.Occupy(front);
        }
    }

    public static void PlaceWindows(SceneDraft draft)
    {
        RandomStream r = draft.Random;
        int count = r.NextInt(0, draft.Options.MaxWindows);
        for (int k = 0; k < count; k++)
        {
            double width = r.Uniform(0.7, 2.0);
            double sill = r.Uniform(0.7, 1.0);
            double top = Math.Min(sill + r.Uniform(0.9, 1.6), draft.RoomHeight - 0.2);
            if (RoomLayout.PickWall(r, draft.Room, width) is not RoomLayout.WallSpan span)
            {
                continue;
            }

            Aabb front = RoomLayout.Slab(span.Face, span.U0 - 0.05, span.U1 + 0.05, sill, top, 0.15);
            if (!draft.IsFree(front, 0))
            {
                continue;
            }

            int material = draft.AddMaterial(new Material
            {
                Kind = TextureKind.Window,
                Primary = Palette.Hsv(r.Uniform(195, 225), r.Uniform(0.3, 0.6), r.Uniform(0.75, 0.95)),
                Secondary = Palette.Hsv(r.Uniform(40, 220), r.Uniform(0.0, 0.15), r.Uniform(0.9, 1.0)),
                Tertiary = r.Chance(0.6)
                    ? Palette.Hsv(r.Uniform(80, 140), r.Uniform(0.3, 0.6), r.Uniform(0.25, 0.5))
                    : Palette.Hsv(r.Uniform(0, 40), r.Uniform(0.05, 0.3), r.Uniform(0.3, 0.6)),
                Accent = r.Chance(0.7) ? Palette.OffWhite(r) : Palette.Wood(r),
                Emission = Rgb.Grey(r.Uniform(1.0, 2.2)),
                Width = width,
                Height = top - sill,
                Seed = r.NextUInt64(),
            });
            draft.Patches.Add(new WallPatch(span.Face, span.U0, span.U1, sill, top, material));
            draft.Occupy(front);
        }
    }
}

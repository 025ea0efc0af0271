using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Lighting;
using Disco.Geo.Scenes.Materials;
using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Generation;

/// <summary>
/// Generates random indoor scenes from a seed. The same seed and options give the same scene on every machine: all
/// randomness comes from xoshiro256** and all arithmetic is IEEE-exact or deterministic (no platform math library).
/// </summary>
public static class SceneGenerator
{
    /// <summary>
    /// A random room with textured surfaces, doors, windows, furniture and lights, and a camera in free space at least
    /// <see cref="SceneOptions.CameraClearance"/> from every object, upright, with a random heading.
    /// </summary>
    /// <param name="seed">Any 64-bit value; equal seeds give identical scenes.</param>
    /// <param name="options">Ranges to draw from; null for the defaults.</param>
    /// <exception cref="ArgumentException">The options are inconsistent or out of range.</exception>
    public static Scene Create(ulong seed, SceneOptions? options = null)
    {
        options ??= new SceneOptions();
        options.Validate();
        RandomStream r = new(seed);
        RoomShape room = RoomLayout.Create(r, options);
        double height = room.Bounds.Max.Z;

        Aabb part = LightPlacer.PickPartByArea(r, room);
        double margin = Math.Min(0.6, 0.25 * Math.Min(part.Size.X, part.Size.Y));
        Vec3 position = new(
            r.Uniform(part.Min.X + margin, part.Max.X - margin),
            r.Uniform(part.Min.Y + margin, part.Max.Y - margin),
            r.Uniform(options.MinCameraHeight, Math.Max(options.MinCameraHeight, Math.Min(options.MaxCameraHeight, height - 0.3))));
        double yaw = r.Uniform(-Math.PI, Math.PI);

        SceneDraft draft = new(r, options, room, position);
        int floor = draft.AddMaterial(Palette.Floor(r));
        int wall = draft.AddMaterial(Palette.Wall(r));
        int ceiling = draft.AddMaterial(Palette.Ceiling(r));
        OpeningPlacer.PlaceDoors(draft);
        OpeningPlacer.PlaceWindows(draft);
        LightPlacer.Place(draft);
        FurniturePlacer.Place(draft);

        double falloff = r.Uniform(0.35, 0.6) * Math.Sqrt(room.Bounds.Size.X * room.Bounds.Size.X + room.Bounds.Size.Y * room.Bounds.Size.Y);

        // Indirect light is a fraction of the direct light, as bounces in a real room are; then expose so that a
        // mid-grey wall under the typical irradiance lands near the middle of the tone curve, varied a little so
        // brightness is not a constant a network could rely on.
        Rgb tint = Palette.Hsv(r.Uniform(20, 220), r.Uniform(0, 0.12), 1);
        double direct = Exposure.TypicalIrradiance(room, draft.PointLights, draft.PanelLights, Rgb.Black, falloff);
        Rgb ambient = tint * (r.Uniform(0.2, 0.45) * direct);
        double exposure = 2.2 / Math.Max(direct + ambient.Luminance, 1e-3) * r.Uniform(0.75, 1.3);

        // Emission was drawn in display units (1 ≈ a bright but unclipped surface); convert it to radiance.
        Material[] materials = [.. draft.Materials.Select(m => m.Emission == Rgb.Black ? m : m with { Emission = m.Emission * (1 / exposure) })];
        return new Scene(room, materials, floor, wall, ceiling)
        {
            Seed = seed,
            Camera = new Camera(position.X, position.Y, position.Z, yaw),
            Patches = [.. draft.Patches],
            Primitives = new PrimitiveSet([.. draft.Boxes], [.. draft.Cylinders], [.. draft.Balls]),
            PointLights = [.. draft.PointLights],
            PanelLights = [.. draft.PanelLights],
            Ambient = ambient,
            FalloffDistance = falloff,
            Exposure = exposure,
        };
    }
}

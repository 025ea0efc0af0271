using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Lighting;
using Disco.Geo.Scenes.Materials;

namespace Disco.Geo.Scenes.Generation;

/// <summary>
/// Estimates how brightly a scene is lit, to choose its exposure: the mean unshadowed irradiance on probe points at
/// the middle of each wall of each room part (at 1.2 m) and on the floor below each part's centre.
/// </summary>
internal static class Exposure
{
    public static double TypicalIrradiance(RoomShape room, List<PointLight> points, List<PanelLight> panels, Rgb ambient, double falloff)
    {
        double sum = 0;
        int count = 0;
        foreach (Aabb part in room.Parts)
        {
            Vec3 c = new(0.5 * (part.Min.X + part.Max.X), 0.5 * (part.Min.Y + part.Max.Y), 1.2);
            (Vec3 Point, Vec3 Normal)[] probes =
            [
                (new Vec3(part.Min.X, c.Y, c.Z), new Vec3(1, 0, 0)),
                (new Vec3(part.Max.X, c.Y, c.Z), new Vec3(-1, 0, 0)),
                (new Vec3(c.X, part.Min.Y, c.Z), new Vec3(0, 1, 0)),
                (new Vec3(c.X, part.Max.Y, c.Z), new Vec3(0, -1, 0)),
                (new Vec3(c.X, c.Y, 0), new Vec3(0, 0, 1)),
            ];
            foreach ((Vec3 point, Vec3 normal) in probes)
            {
                sum += Irradiance(point, normal, points, panels, ambient, falloff).Luminance;
                count++;
            }
        }

        return sum / count;
    }

    private static Rgb Irradiance(Vec3 p, Vec3 n, List<PointLight> points, List<PanelLight> panels, Rgb ambient, double falloff)
    {
        Rgb total = ambient;
        double inverseFalloff = 1 / (falloff * falloff);
        foreach (PointLight light in points)
        {
            total += light.Intensity * Contribution(light.Position - p, n, inverseFalloff, 1);
        }

        foreach (PanelLight panel in panels)
        {
            foreach (Vec3 sample in panel.Samples)
            {
                Vec3 toLight = sample - p;
                double emitted = Math.Max(0, toLight.Z / toLight.Length);
                total += panel.Intensity * Contribution(toLight, n, inverseFalloff, emitted / panel.Samples.Length);
            }
        }

        return total;
    }

    private static double Contribution(Vec3 toLight, Vec3 n, double inverseFalloff, double weight)
    {
        double squared = Vec3.Dot(toLight, toLight);
        double cosine = Math.Max(0, Vec3.Dot(n, toLight) / Math.Sqrt(squared));
        return weight * cosine / (1 + squared * inverseFalloff);
    }
}

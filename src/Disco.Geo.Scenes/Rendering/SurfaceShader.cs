using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Lighting;
using Disco.Geo.Scenes.Materials;

namespace Disco.Geo.Scenes.Rendering;

/// <summary>
/// Radiance leaving a surface towards the camera: Lambertian reflection of ambient light and of each light that a
/// shadow ray finds unblocked, plus emission. Lights fall off as 1 / (1 + (d / falloff)²), gentler than 1/d², which
/// stands in for the light that bounces around a real room.
/// </summary>
internal static class SurfaceShader
{
    // Shadow rays start this far off the surface so they do not hit it again through rounding.
    private const double ShadowOffset = 1e-6;

    // Footprints are widened at grazing angles, but not without bound, or floors would blur to a single colour.
    private const double MinimumFootprintCosine = 0.25;

    // Ambient light drops by this fraction at a room edge, and by half of it this far (metres) from the edge.
    private const double CornerShadeDepth = 0.35;
    private const double CornerShadeReach = 0.3;

    public static Rgb Radiance(Scene scene, in SurfaceHit hit, Vec3 direction, double pixelAngle)
    {
        Vec3 n = hit.Normal;
        double cosView = Math.Abs(Vec3.Dot(n, direction));
        double footprint = hit.Distance * pixelAngle / Math.Max(cosView, MinimumFootprintCosine);
        TextureSampler.Sample(scene.Materials[hit.Material], hit.U, hit.V, footprint, out Rgb albedo, out Rgb emission);

        // Surfaces facing down get a little more indirect light: the lit floor bounces it up to them.
        double ambientShade = (hit.PrimitiveId < 0 ? CornerShade(scene, hit) : 1) * (1 + 0.3 * Math.Max(0, -n.Z));
        Rgb irradiance = scene.Ambient * ambientShade;

        Vec3 p = hit.Point;
        Vec3 origin = p + n * ShadowOffset;
        double inverseFalloff = 1 / (scene.FalloffDistance * scene.FalloffDistance);
        ShadowIndex shadows = scene.ShadowIndex;
        PointLight[] pointLights = scene.PointLights;
        for (int k = 0; k < pointLights.Length; k++)
        {
            PointLight light = pointLights[k];
            Vec3 toLight = light.Position - p;
            double squared = Vec3.Dot(toLight, toLight);
            double cosine = Vec3.Dot(n, toLight) / Math.Sqrt(squared);
            if (cosine > 0 && !RayCaster.IsOccluded(scene, origin, light.Position, light.ExcludedPrimitive, shadows.PointLights[k]))
            {
                irradiance += light.Intensity * (cosine / (1 + squared * inverseFalloff));
            }
        }

        PanelLight[] panels = scene.PanelLights;
        for (int k = 0; k < panels.Length; k++)
        {
            PanelLight panel = panels[k];
            Vec3 toCentre = panel.Centre - p;
            if (Vec3.Dot(toCentre, toCentre) > panel.FarDistance * panel.FarDistance)
            {
                irradiance += PanelSample(scene, panel, panel.Centre, 1, p, n, origin, shadows.PanelCentres[k], inverseFalloff);
                continue;
            }

            double share = 1.0 / panel.Samples.Length;
            for (int s = 0; s < panel.Samples.Length; s++)
            {
                irradiance += PanelSample(scene, panel, panel.Samples[s], share, p, n, origin, shadows.PanelSamples[k][s], inverseFalloff);
            }
        }

        return albedo * irradiance + emission;
    }

    private static Rgb PanelSample(Scene scene, PanelLight panel, Vec3 sample, double share, Vec3 p, Vec3 n, Vec3 origin, DirectionIndex index, double inverseFalloff)
    {
        Vec3 toLight = sample - p;
        double squared = Vec3.Dot(toLight, toLight);
        double length = Math.Sqrt(squared);
        double cosine = Vec3.Dot(n, toLight) / length;
        double emitted = toLight.Z / length; // the panel faces straight down
        return cosine > 0 && emitted > 0 && !RayCaster.IsOccluded(scene, origin, sample, -1, index)
            ? panel.Intensity * (share * cosine * emitted / (1 + squared * inverseFalloff))
            : Rgb.Black;
    }

    /// <summary>
    /// Darkening of ambient light near the room's edges and corners, where less indirect light arrives: one factor per
    /// perpendicular wall, from the distance to it along that axis. A cheap stand-in for ambient occlusion that makes
    /// the room's edges readable in flat-lit scenes.
    /// </summary>
    private static double CornerShade(Scene scene, in SurfaceHit hit)
    {
        Vec3 p = hit.Point;
        double shade = 1;
        for (int axis = 0; axis < 3; axis++)
        {
            if (Math.Abs(AxisComponent(hit.Normal, axis)) > 0.5)
            {
                continue;
            }

            for (int side = 0; side < 2; side++)
            {
                double distance = scene.Room.ExitAlongAxis(p, axis, side == 1) * (1 / CornerShadeReach);
                shade *= 1 - CornerShadeDepth / (1 + distance * distance);
            }
        }

        return shade;
    }

    private static double AxisComponent(Vec3 v, int axis) => axis switch
    {
        0 => v.X,
        1 => v.Y,
        _ => v.Z,
    };
}

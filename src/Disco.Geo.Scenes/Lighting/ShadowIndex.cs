using Disco.Geo.Scenes.Geometry;

namespace Disco.Geo.Scenes.Lighting;

/// <summary>
/// A <see cref="DirectionIndex"/> around every light position (each bulb, each panel sample point), so that a shadow
/// ray only tests the primitives that can lie between the light and the surface.
/// </summary>
internal sealed class ShadowIndex
{
    public ShadowIndex(PrimitiveSet primitives, PointLight[] pointLights, PanelLight[] panelLights)
    {
        PointLights = Array.ConvertAll(pointLights, light => new DirectionIndex(light.Position, primitives));
        PanelSamples = Array.ConvertAll(panelLights, panel => Array.ConvertAll(panel.Samples, sample => new DirectionIndex(sample, primitives)));
        PanelCentres = Array.ConvertAll(panelLights, panel => new DirectionIndex(panel.Centre, primitives));
    }

    /// <summary>Index around each point light, in the scene's order.</summary>
    public DirectionIndex[] PointLights { get; }

    /// <summary>Index around each sample point of each panel light.</summary>
    public DirectionIndex[][] PanelSamples { get; }

    /// <summary>Index around each panel's centre, for surfaces far from it.</summary>
    public DirectionIndex[] PanelCentres { get; }
}

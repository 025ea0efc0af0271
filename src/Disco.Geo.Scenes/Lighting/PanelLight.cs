using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Materials;

namespace Disco.Geo.Scenes.Lighting;

/// <summary>
/// A rectangular ceiling panel facing down, approximated by a few fixed sample points (a stratified grid over the
/// panel, just below the ceiling) that share its intensity. Fixed points rather than random ones keep the
/// penumbrae noise-free and the renders deterministic; each point costs one shadow ray.
/// </summary>
internal sealed record PanelLight(Vec3[] Samples, Rgb Intensity);

using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Materials;

namespace Disco.Geo.Scenes.Lighting;

/// <summary>
/// A bulb: light from one point, shadowed by one shadow ray. It usually sits inside a glowing lamp shade, which must
/// not shadow its own bulb, hence <see cref="ExcludedPrimitive"/>.
/// </summary>
internal readonly record struct PointLight(Vec3 Position, Rgb Intensity, int ExcludedPrimitive = -1);

using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Materials;

namespace Disco.Geo.Scenes.Lighting;

/// <summary>
/// A rectangular ceiling panel facing down, approximated by a few fixed sample points (a stratified grid over the
/// panel, just below the ceiling) that share its intensity. Fixed points rather than random ones keep the
/// penumbrae noise-free and the renders deterministic; each point costs one shadow ray. Surfaces farther than
/// <see cref="FarDistance"/> see the panel as a point and use its centre alone: their penumbrae are too narrow to
/// show, and the irradiance differs by about 1 %.
/// </summary>
/// <param name="Samples">Sample points just below the panel.</param>
/// <param name="Centre">The panel's centre, just below it.</param>
/// <param name="Size">The panel's longer side in metres.</param>
/// <param name="Intensity">Total intensity, shared by the samples.</param>
internal sealed record PanelLight(Vec3[] Samples, Vec3 Centre, double Size, Rgb Intensity)
{
    public double FarDistance => 3 * Size;
}

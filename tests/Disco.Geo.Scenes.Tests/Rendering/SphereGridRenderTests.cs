using Disco.Geo.Scenes.Generation;
using Disco.Geo.Scenes.Rendering;

namespace Disco.Geo.Scenes.Tests.Rendering;

public class SphereGridRenderTests
{
    [Fact]
    public void Rendering_at_the_equirectangular_angles_equals_the_equirectangular_render()
    {
        Scene scene = SceneGenerator.Create(4);
        Panorama direct = PanoramaRenderer.Render(scene, scene.Camera, 16, 32);
        Panorama viaAngles = PanoramaRenderer.Render(scene, scene.Camera, SphericalProjection.Colatitudes(16), SphericalProjection.Azimuths(32));
        Assert.Equal(direct.Depth, viaAngles.Depth);
        Assert.Equal(direct.Labels, viaAngles.Labels);
        Assert.Equal(direct.Rgb, viaAngles.Rgb);
        Assert.Equal(direct.Colatitudes, viaAngles.Colatitudes);
        Assert.Equal(direct.Azimuths, viaAngles.Azimuths);
    }

    [Fact]
    public void Pole_rows_of_an_equiangular_grid_are_constant()
    {
        Scene scene = SceneGenerator.Create(6);
        const int rows = 9;
        const int columns = 16;
        double[] colatitudes = [.. Enumerable.Range(0, rows).Select(i => Math.PI * i / (rows - 1))];
        double[] azimuths = [.. Enumerable.Range(0, columns).Select(j => 2 * Math.PI * j / columns)];
        Panorama panorama = PanoramaRenderer.Render(scene, scene.Camera.WithOrientation(0.3, 0.4, 0.5), colatitudes, azimuths);
        foreach (int row in new[] { 0, rows - 1 })
        {
            for (int j = 1; j < columns; j++)
            {
                Assert.Equal(panorama.Depth[row * columns], panorama.Depth[row * columns + j]);
                Assert.Equal(panorama.Labels[row * columns], panorama.Labels[row * columns + j]);
            }
        }
    }

    [Fact]
    public void Conventions_put_row_zero_at_the_zenith_and_columns_clockwise_from_behind()
    {
        Assert.Equal(Math.PI / 8, SphericalProjection.Colatitude(0, 4));
        Assert.Equal(-Math.PI + Math.PI / 8, SphericalProjection.Azimuth(0, 8));
        Assert.Equal(Math.PI / 8, SphericalProjection.Azimuth(4, 8));
        (double x, double y, double z) = SphericalProjection.Direction(Math.PI / 2, Math.PI / 2);
        // Azimuth +90° looks to the camera's right, which is −y in its right-handed frame (x forward, y left, z up).
        Assert.Equal(0, x, 1e-15);
        Assert.Equal(-1, y, 1e-15);
        Assert.Equal(0, z, 1e-15);
        Assert.Equal((0.0, 0.0, 1.0), SphericalProjection.Direction(0, 1.234));
    }
}

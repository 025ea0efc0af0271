using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Rendering;

namespace Disco.Geo.Scenes.Tests.Rendering;

public class DepthExactnessTests
{
    private static readonly Vec3 RoomSize = new(6, 4, 3);
    private static readonly Camera Camera = new(2, 1.5, 1.2);

    [Fact]
    public void Every_pixel_of_an_empty_room_has_the_analytic_ray_plane_distance_and_its_plane_label()
    {
        Scene scene = TestScenes.Room(RoomSize.X, RoomSize.Y, RoomSize.Z);
        Panorama panorama = PanoramaRenderer.Render(scene, Camera, 48, 96);
        Vec3 origin = new(Camera.X, Camera.Y, Camera.Z);
        for (int i = 0; i < panorama.Height; i++)
        {
            for (int j = 0; j < panorama.Width; j++)
            {
                Vec3 d = TestScenes.Direction(SphericalProjection.Colatitude(i, 48), SphericalProjection.Azimuth(j, 96));
                double expected = TestScenes.BoxExit(origin, d, RoomSize, out int axis, out bool atMax);
                byte expectedLabel = axis == 2 ? (atMax ? SceneLabels.Ceiling : SceneLabels.Floor) : SceneLabels.Wall;

                // The renderer's own double-precision distance, and the float32 it stores.
                Vec3 rendered = Direction(i, j, 48, 96);
                double exact = RayCaster.Trace(scene, origin, rendered).Distance;
                Assert.True(Math.Abs(exact / expected - 1) <= 1e-9, $"pixel ({i}, {j}): {exact} vs {expected}");
                Assert.Equal((float)exact, panorama.Depth[i * 96 + j]);
                Assert.Equal(expectedLabel, panorama.Labels[i * 96 + j]);
            }
        }
    }

    [Fact]
    public void Straight_up_down_and_forward_hit_ceiling_floor_and_wall_at_exact_distances()
    {
        Scene scene = TestScenes.Room(RoomSize.X, RoomSize.Y, RoomSize.Z);
        double[] colatitudes = [0, Math.PI / 2, Math.PI];
        double[] azimuths = [0, Math.PI / 2, -Math.PI / 2, Math.PI];
        Panorama panorama = PanoramaRenderer.Render(scene, Camera, colatitudes, azimuths);
        for (int j = 0; j < azimuths.Length; j++)
        {
            Assert.Equal((float)(RoomSize.Z - Camera.Z), panorama.Depth[j]);
            Assert.Equal(SceneLabels.Ceiling, panorama.Labels[j]);
            Assert.Equal((float)Camera.Z, panorama.Depth[2 * 4 + j]);
            Assert.Equal(SceneLabels.Floor, panorama.Labels[2 * 4 + j]);
            Assert.Equal(SceneLabels.Wall, panorama.Labels[4 + j]);
        }

        // Forward is +x, azimuth +90° the camera's right (−y), −90° its left (+y), back is −x.
        Assert.Equal((float)(RoomSize.X - Camera.X), panorama.Depth[4]);
        Assert.Equal((float)Camera.Y, panorama.Depth[5]);
        Assert.Equal((float)(RoomSize.Y - Camera.Y), panorama.Depth[6]);
        Assert.Equal((float)Camera.X, panorama.Depth[7]);
    }

    [Fact]
    public void Depth_is_exact_in_double_precision_for_the_renderers_own_directions()
    {
        Scene scene = TestScenes.Room(RoomSize.X, RoomSize.Y, RoomSize.Z);
        Vec3 origin = new(Camera.X, Camera.Y, Camera.Z);
        for (int i = 0; i < 64; i++)
        {
            for (int j = 0; j < 128; j += 7)
            {
                Vec3 d = Direction(i, j, 64, 128);
                double expected = TestScenes.BoxExit(origin, d, RoomSize, out _, out _);
                Assert.Equal(expected, RayCaster.Trace(scene, origin, d).Distance);
            }
        }
    }

    private static Vec3 Direction(int i, int j, int height, int width)
    {
        (double x, double y, double z) = SphericalProjection.Direction(SphericalProjection.Colatitude(i, height), SphericalProjection.Azimuth(j, width));
        return new Vec3(x, y, z);
    }
}

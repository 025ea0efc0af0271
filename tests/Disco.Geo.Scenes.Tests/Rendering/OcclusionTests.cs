using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Rendering;

namespace Disco.Geo.Scenes.Tests.Rendering;

public class OcclusionTests
{
    // Room 6 × 4 × 3 m, camera at (1, 2, 1.5) looking along +x at a 1 m cube whose front face is the plane x = 2.5.
    private static readonly Vec3 RoomSize = new(6, 4, 3);
    private static readonly Camera Camera = new(1, 2, 1.5);
    private static readonly Vec3 Origin = new(1, 2, 1.5);

    [Fact]
    public void A_box_in_front_of_the_camera_is_labelled_object_at_the_analytic_distance_of_its_face()
    {
        Scene scene = TestScenes.Room(RoomSize.X, RoomSize.Y, RoomSize.Z, boxes: [TestScenes.Box(0, new Vec3(2.5, 1.5, 1), new Vec3(3.5, 2.5, 2))]);
        const int height = 64;
        const int width = 128;
        Panorama panorama = PanoramaRenderer.Render(scene, Camera, height, width);
        int faceHits = 0;
        for (int i = 0; i < height; i++)
        {
            for (int j = 0; j < width; j++)
            {
                (double x, double y, double z) = SphericalProjection.Direction(SphericalProjection.Colatitude(i, height), SphericalProjection.Azimuth(j, width));
                Vec3 d = new(x, y, z);
                double room = TestScenes.BoxExit(Origin, d, RoomSize, out _, out _);
                double depth = panorama.Depth[i * width + j];
                Assert.True(depth <= room * (1 + 1e-6), "nothing is seen beyond the room");

                // Rays meeting the front face inside its square see the face, nothing behind it.
                double t = (2.5 - Origin.X) / d.X;
                Vec3 p = Origin.At(d, t);
                bool onFace = d.X > 0 && p.Y > 1.5 + 1e-9 && p.Y < 2.5 - 1e-9 && p.Z > 1 + 1e-9 && p.Z < 2 - 1e-9;
                if (onFace)
                {
                    faceHits++;
                    Assert.Equal(SceneLabels.Object, panorama.Labels[i * width + j]);
                    Assert.True(Math.Abs(RayCaster.Trace(scene, Origin, d).Distance / t - 1) <= 1e-12, $"pixel ({i}, {j})");
                }
            }
        }

        Assert.True(faceHits > 50, $"only {faceHits} pixels see the face");
        Assert.Equal(1.5f, PanoramaRenderer.Render(scene, Camera, [Math.PI / 2], [0.0]).Depth[0]);
    }

    [Fact]
    public void A_ball_below_and_a_cylinder_beside_the_camera_are_hit_at_their_analytic_distances()
    {
        Scene scene = TestScenes.Room(
            RoomSize.X,
            RoomSize.Y,
            RoomSize.Z,
            cylinders: [new VerticalCylinder(0, 1, 3, 0.25, 0, 3, material: 3)],
            balls: [new Ball(1, new Vec3(1, 2, 0.3), 0.3, material: 3)]);
        // The cylinder stands 1 m to the camera's left (+y), at azimuth −90°.
        Panorama panorama = PanoramaRenderer.Render(scene, Camera, [Math.PI, Math.PI / 2], [-Math.PI / 2]);

        Assert.Equal(SceneLabels.Object, panorama.Labels[0]);
        Assert.Equal(0.9f, panorama.Depth[0]);
        Assert.Equal(SceneLabels.Object, panorama.Labels[1]);
        Assert.Equal(0.75f, panorama.Depth[1]);
    }

    [Fact]
    public void A_turned_box_hides_the_wall_behind_it()
    {
        Scene scene = TestScenes.Room(RoomSize.X, RoomSize.Y, RoomSize.Z, boxes: [TestScenes.Box(0, new Vec3(3, 1.5, 0), new Vec3(4, 2.5, 3), yaw: 0.4)]);
        Panorama panorama = PanoramaRenderer.Render(scene, Camera, [Math.PI / 2], [0.0, 0.05, -0.05]);
        foreach (float depth in panorama.Depth)
        {
            Assert.InRange(depth, 1.9f, 2.3f);
        }

        Assert.All(panorama.Labels, label => Assert.Equal(SceneLabels.Object, label));
    }
}

using Disco.Geo.Scenes.Generation;
using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Rendering;

namespace Disco.Geo.Scenes.Tests.Rendering;

public class RotationTests
{
    private const int Height = 32;
    private const int Width = 64;

    [Theory]
    [InlineData(3UL, 1)]
    [InlineData(8UL, 5)]
    [InlineData(8UL, -2)]
    public void Turning_an_upright_camera_by_whole_columns_shifts_the_columns_exactly(ulong seed, int columns)
    {
        Scene scene = SceneGenerator.Create(seed);
        Camera upright = scene.Camera with { Yaw = 0 };
        Panorama reference = PanoramaRenderer.Render(scene, upright, Height, Width);
        Panorama turned = PanoramaRenderer.Render(scene, upright with { Yaw = columns * (2 * Math.PI / Width) }, Height, Width);
        int plane = Height * Width;
        for (int i = 0; i < Height; i++)
        {
            for (int j = 0; j < Width; j++)
            {
                // Yaw turns left (counter-clockwise) and columns run clockwise, so the picture moves right by k columns.
                int source = i * Width + (((j - columns) % Width) + Width) % Width;
                int target = i * Width + j;
                Assert.Equal(reference.Depth[source], turned.Depth[target]);
                Assert.Equal(reference.Labels[source], turned.Labels[target]);
                for (int c = 0; c < 3; c++)
                {
                    Assert.Equal(reference.Rgb[c * plane + source], turned.Rgb[c * plane + target]);
                }
            }
        }
    }

    [Theory]
    [InlineData(0.3, 0.2, -0.4)]
    [InlineData(-2.0, 1.1, 2.5)]
    [InlineData(1.0, -1.5707963267948966, 0.0)]
    public void A_general_rotation_renders_what_the_rotated_rays_hit(double yaw, double pitch, double roll)
    {
        Scene scene = SceneGenerator.Create(21);
        Camera camera = scene.Camera.WithOrientation(yaw, pitch, roll);
        Panorama panorama = PanoramaRenderer.Render(scene, camera, Height, Width);
        Rotation3 rotation = Rotation3.FromYawPitchRoll(yaw, pitch, roll);
        Vec3 origin = new(camera.X, camera.Y, camera.Z);
        for (int i = 0; i < Height; i++)
        {
            for (int j = 0; j < Width; j++)
            {
                (double x, double y, double z) = SphericalProjection.Direction(SphericalProjection.Colatitude(i, Height), SphericalProjection.Azimuth(j, Width));
                SurfaceHit hit = RayCaster.Trace(scene, origin, rotation.Apply(new Vec3(x, y, z)));
                Assert.Equal((float)hit.Distance, panorama.Depth[i * Width + j]);
                Assert.Equal(hit.Label, panorama.Labels[i * Width + j]);
            }
        }
    }

    [Fact]
    public void The_upright_shortcut_and_the_rotation_matrix_agree()
    {
        Scene scene = SceneGenerator.Create(5);
        Camera upright = scene.Camera with { Yaw = 0.7 };
        Panorama shortcut = PanoramaRenderer.Render(scene, upright, Height, Width);
        Panorama matrix = PanoramaRenderer.Render(scene, upright with { Pitch = 1e-300 }, Height, Width);
        int sameLabels = 0;
        for (int k = 0; k < shortcut.Depth.Length; k++)
        {
            sameLabels += shortcut.Labels[k] == matrix.Labels[k] ? 1 : 0;
            if (shortcut.Labels[k] == matrix.Labels[k])
            {
                Assert.True(Math.Abs(shortcut.Depth[k] / matrix.Depth[k] - 1) < 1e-5, $"pixel {k}");
            }
        }

        Assert.True(sameLabels >= shortcut.Depth.Length - 2, $"{shortcut.Depth.Length - sameLabels} labels differ");
    }

    [Fact]
    public void Yaw_pitch_and_roll_turn_the_camera_the_documented_way()
    {
        Scene scene = TestScenes.Room(6, 4, 3);
        Camera camera = new(2, 1.5, 1.2);
        double[] forward = [Math.PI / 2];
        double[] ahead = [0.0];

        // Azimuth +90° is the camera's right (−y, the south wall 1.5 m away), azimuth −90° its left (+y, 2.5 m), as
        // in a photograph and as the server reads panoramas; before, the library drew the mirror image.
        Assert.Equal(1.5f, PanoramaRenderer.Render(scene, camera, forward, [Math.PI / 2]).Depth[0]);
        Assert.Equal(2.5f, PanoramaRenderer.Render(scene, camera, forward, [-Math.PI / 2]).Depth[0]);

        // Yaw +90° looks left (+y); pitch +90° looks up; roll 180° turns the zenith row to the floor.
        Assert.Equal(2.5f, PanoramaRenderer.Render(scene, camera with { Yaw = Math.PI / 2 }, forward, ahead).Depth[0]);
        Panorama up = PanoramaRenderer.Render(scene, camera with { Pitch = Math.PI / 2 }, forward, ahead);
        Assert.Equal(SceneLabels.Ceiling, up.Labels[0]);
        Assert.Equal(1.8, up.Depth[0], 1e-6);
        Panorama flipped = PanoramaRenderer.Render(scene, camera with { Roll = Math.PI }, [0.0], ahead);
        Assert.Equal(SceneLabels.Floor, flipped.Labels[0]);
        Assert.Equal(1.2, flipped.Depth[0], 1e-6);

        // Roll +90° lifts the left side: the camera's left (+y, azimuth −90°) now points up.
        Panorama rolled = PanoramaRenderer.Render(scene, camera with { Roll = Math.PI / 2 }, forward, [-Math.PI / 2]);
        Assert.Equal(SceneLabels.Ceiling, rolled.Labels[0]);
    }

    [Fact]
    public void Random_dataset_rotations_keep_scene_and_position_and_cover_all_orientations()
    {
        DatasetOptions rotated = new() { Rotation = CameraRotationMode.Random };
        double pitchSum = 0;
        int steep = 0;
        for (int index = 0; index < 400; index++)
        {
            (Scene upright, Camera uprightCamera) = PanoramaDataset.SceneAndCamera(9, index);
            (Scene scene, Camera camera) = PanoramaDataset.SceneAndCamera(9, index, rotated);
            Assert.Equal(upright.Seed, scene.Seed);
            Assert.Equal((uprightCamera.X, uprightCamera.Y, uprightCamera.Z), (camera.X, camera.Y, camera.Z));
            Assert.InRange(camera.Pitch, -Math.PI / 2, Math.PI / 2);
            Assert.InRange(camera.Yaw, -Math.PI, Math.PI);
            pitchSum += camera.Pitch;
            steep += Math.Abs(camera.Pitch) > Math.PI / 3 ? 1 : 0;
        }

        // Under the Haar measure sin(pitch) is uniform, so |pitch| > 60° has probability 1 − sin 60° ≈ 0.134.
        Assert.InRange(pitchSum / 400, -0.15, 0.15);
        Assert.InRange(steep / 400.0, 0.08, 0.19);
    }
}

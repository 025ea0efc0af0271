using Disco.Geo.Scenes.Generation;
using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Rendering;

namespace Disco.Geo.Scenes.Tests.Generation;

public class SceneContentTests
{
    [Fact]
    public void Rendered_values_are_finite_and_in_range()
    {
        foreach (Panorama panorama in PanoramaDataset.Generate(8, 31, 24, 48, new DatasetOptions { Rotation = CameraRotationMode.Random }))
        {
            Scene scene = SceneGenerator.Create(panorama.SceneSeed);
            Assert.All(panorama.Rgb, v => Assert.InRange(v, 0f, 1f));
            Assert.All(panorama.Depth, d => Assert.InRange(d, 1e-3f, (float)scene.MaxDistance));
            Assert.All(panorama.Labels, l => Assert.InRange(l, 0, SceneLabels.ClassCount - 1));
        }
    }

    [Fact]
    public void Every_class_appears_in_typical_scenes_with_plausible_area_shares()
    {
        const int scenes = 24;
        const int height = 32;
        const int width = 64;
        double[] share = new double[SceneLabels.ClassCount];
        int[] present = new int[SceneLabels.ClassCount];
        foreach (Panorama panorama in PanoramaDataset.Generate(scenes, 99, height, width))
        {
            // Solid-angle weights: a pixel's area is proportional to sin θ.
            double[] area = new double[SceneLabels.ClassCount];
            double total = 0;
            for (int i = 0; i < height; i++)
            {
                double weight = Math.Sin(panorama.Colatitudes[i]);
                for (int j = 0; j < width; j++)
                {
                    area[panorama.Labels[i * width + j]] += weight;
                    total += weight;
                }
            }

            for (int c = 0; c < SceneLabels.ClassCount; c++)
            {
                share[c] += area[c] / total / scenes;
                present[c] += area[c] > 0 ? 1 : 0;
            }
        }

        Assert.InRange(share[SceneLabels.Floor], 0.15, 0.45);
        Assert.InRange(share[SceneLabels.Ceiling], 0.12, 0.45);
        Assert.InRange(share[SceneLabels.Wall], 0.2, 0.6);
        Assert.InRange(share[SceneLabels.Object], 0.04, 0.3);
        Assert.All(present, count => Assert.True(count >= scenes - 1, $"a class is missing from {scenes - count} scenes"));
    }

    [Fact]
    public void Generated_cameras_are_in_free_space_with_clearance_and_every_scene_is_lit()
    {
        SceneOptions options = new();
        for (ulong seed = 0; seed < 40; seed++)
        {
            Scene scene = SceneGenerator.Create(seed, options);
            Camera camera = scene.Camera;
            Assert.True(scene.IsFreeSpace(camera.X, camera.Y, camera.Z));
            Assert.True(camera.IsUpright);
            Assert.InRange(camera.Z, options.MinCameraHeight, options.MaxCameraHeight);
            Assert.True(scene.LightCount >= 1);
            Assert.InRange(scene.Height, options.MinRoomHeight, options.MaxRoomHeight);

            Vec3 position = new(camera.X, camera.Y, camera.Z);
            PrimitiveSet primitives = scene.Primitives;
            Assert.All(primitives.Boxes, b => Assert.True(b.Bounds.DistanceTo(position) >= options.CameraClearance));
            Assert.All(primitives.Cylinders, c => Assert.True(c.Bounds.DistanceTo(position) >= options.CameraClearance));
            Assert.All(primitives.Balls, b => Assert.True(b.Bounds.DistanceTo(position) >= options.CameraClearance));

            // Like a camera on a tripod, nothing below the camera stands under it.
            IEnumerable<Aabb> below = primitives.Boxes.Select(b => b.Bounds)
                .Concat(primitives.Cylinders.Select(c => c.Bounds))
                .Concat(primitives.Balls.Select(b => b.Bounds))
                .Where(bounds => bounds.Min.Z < camera.Z);
            Vec3 floorPoint = position with { Z = 0 };
            Assert.All(below, bounds => Assert.True((bounds with { Min = bounds.Min with { Z = 0 }, Max = bounds.Max with { Z = 0 } }).DistanceTo(floorPoint) >= 0.3));
        }
    }

    [Fact]
    public void Options_shape_the_scenes()
    {
        SceneOptions small = new() { MinRoomSize = 3, MaxRoomSize = 3.5, MergedRoomProbability = 0, MinObjects = 0, MaxObjects = 0 };
        SceneOptions merged = new() { MergedRoomProbability = 1 };
        for (ulong seed = 0; seed < 10; seed++)
        {
            Scene scene = SceneGenerator.Create(seed, small);
            Assert.False(scene.IsLShaped);
            Assert.InRange(scene.Width, 3, 3.5);
            Assert.InRange(scene.Depth, 3, 3.5);
            Assert.True(SceneGenerator.Create(seed, merged).IsLShaped);
        }
    }
}

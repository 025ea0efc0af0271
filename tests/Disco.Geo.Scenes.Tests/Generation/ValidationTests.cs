using Disco.Geo.Scenes.Generation;
using Disco.Geo.Scenes.Rendering;

namespace Disco.Geo.Scenes.Tests.Generation;

public class ValidationTests
{
    private static readonly Scene Scene = SceneGenerator.Create(1);

    [Theory]
    [InlineData(0, 64, "height")]
    [InlineData(-3, 64, "height")]
    [InlineData(32, 0, "width")]
    [InlineData(100_000, 64, "height")]
    [InlineData(16384, 16384, "width")]
    public void Bad_sizes_are_rejected_naming_the_parameter(int height, int width, string parameter)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => PanoramaRenderer.Render(Scene, Scene.Camera, height, width));
        Assert.Equal(parameter, error.ParamName);
        Assert.Contains(parameter, error.Message, StringComparison.Ordinal);
        Assert.Equal(parameter, Assert.Throws<ArgumentException>(() => PanoramaDataset.Generate(1, 0, height, width)).ParamName);
    }

    [Fact]
    public void A_negative_count_is_rejected_when_called_not_when_enumerated()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => PanoramaDataset.Generate(-1, 0, 32, 64));
        Assert.Equal("count", error.ParamName);
        Assert.Contains("0 to", error.Message, StringComparison.Ordinal);
        Assert.Empty(PanoramaDataset.Generate(0, 0, 32, 64));
    }

    [Fact]
    public void A_camera_outside_the_room_or_inside_an_object_is_rejected_with_the_fix()
    {
        ArgumentException outside = Assert.Throws<ArgumentException>(() => PanoramaRenderer.Render(Scene, new Camera(-1, 1, 1), 8, 16));
        Assert.Equal("camera", outside.ParamName);
        Assert.Contains("outside the room", outside.Message, StringComparison.Ordinal);
        Assert.Contains("scene.Camera", outside.Message, StringComparison.Ordinal);

        Camera above = Scene.Camera with { Z = Scene.Height + 0.5 };
        Assert.Equal("camera", Assert.Throws<ArgumentException>(() => PanoramaRenderer.Render(Scene, above, 8, 16)).ParamName);
        Assert.Equal("camera", Assert.Throws<ArgumentException>(() => PanoramaRenderer.Render(Scene, Scene.Camera with { Pitch = double.NaN }, 8, 16)).ParamName);

        Scene furnished = TestScenes.Room(6, 4, 3, boxes: [TestScenes.Box(0, new(2, 1, 0), new(3, 2, 1))]);
        ArgumentException inside = Assert.Throws<ArgumentException>(() => PanoramaRenderer.Render(furnished, new Camera(2.5, 1.5, 0.5), 8, 16));
        Assert.Contains("inside an object", inside.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_angle_arrays_are_rejected()
    {
        Assert.Equal("colatitudes", Assert.Throws<ArgumentException>(() => PanoramaRenderer.Render(Scene, Scene.Camera, [], [0.0])).ParamName);
        Assert.Equal("colatitudes", Assert.Throws<ArgumentException>(() => PanoramaRenderer.Render(Scene, Scene.Camera, [4.0], [0.0])).ParamName);
        Assert.Equal("azimuths", Assert.Throws<ArgumentException>(() => PanoramaRenderer.Render(Scene, Scene.Camera, [1.0], [double.NaN])).ParamName);
        Assert.Throws<ArgumentNullException>(() => PanoramaRenderer.Render(Scene, Scene.Camera, null!, [0.0]));
    }

    [Fact]
    public void Bad_options_are_rejected_naming_the_option()
    {
        Assert.Equal("MaxRoomSize", Assert.Throws<ArgumentException>(() => SceneGenerator.Create(0, new SceneOptions { MinRoomSize = 5, MaxRoomSize = 4 })).ParamName);
        Assert.Equal("MinRoomSize", Assert.Throws<ArgumentException>(() => SceneGenerator.Create(0, new SceneOptions { MinRoomSize = -1 })).ParamName);
        Assert.Equal("MaxRoomSize", Assert.Throws<ArgumentException>(() => SceneGenerator.Create(0, new SceneOptions { MaxRoomSize = 1e6 })).ParamName);
        Assert.Equal("MinRoomHeight", Assert.Throws<ArgumentException>(() => SceneGenerator.Create(0, new SceneOptions { MinRoomHeight = double.NaN })).ParamName);
        Assert.Equal("MinLights", Assert.Throws<ArgumentException>(() => SceneGenerator.Create(0, new SceneOptions { MinLights = 0 })).ParamName);
        Assert.Equal("MinCameraHeight", Assert.Throws<ArgumentException>(() => SceneGenerator.Create(0, new SceneOptions { MaxCameraHeight = 3 })).ParamName);
        Assert.Equal("Supersampling", Assert.Throws<ArgumentException>(() => PanoramaRenderer.Render(Scene, Scene.Camera, 8, 16, new RenderOptions { Supersampling = 0 })).ParamName);
        Assert.Equal("MaxDegreeOfParallelism", Assert.Throws<ArgumentException>(() => PanoramaDataset.Generate(1, 0, 8, 16, new DatasetOptions { Render = new RenderOptions { MaxDegreeOfParallelism = 0 } })).ParamName);
        Assert.Equal("index", Assert.Throws<ArgumentException>(() => PanoramaDataset.Item(0, -1, 8, 16)).ParamName);
    }
}

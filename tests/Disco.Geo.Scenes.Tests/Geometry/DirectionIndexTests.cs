using Disco.Geo.Scenes.Generation;
using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Numerics;
using Disco.Geo.Scenes.Rendering;

namespace Disco.Geo.Scenes.Tests.Geometry;

public class DirectionIndexTests
{
    [Fact]
    public void Tracing_through_the_index_finds_exactly_what_testing_every_primitive_finds()
    {
        RandomStream r = new(3);
        for (ulong seed = 0; seed < 12; seed++)
        {
            Scene scene = SceneGenerator.Create(seed);
            Vec3 origin = new(scene.Camera.X, scene.Camera.Y, scene.Camera.Z);
            DirectionIndex index = new(origin, scene.Primitives);
            for (int k = 0; k < 4000; k++)
            {
                Vec3 d = RandomDirection(r);
                SurfaceHit all = RayCaster.Trace(scene, origin, d);
                SurfaceHit indexed = RayCaster.Trace(scene, index, origin, d);
                Assert.Equal(all.Distance, indexed.Distance);
                Assert.Equal(all.PrimitiveId, indexed.PrimitiveId);
            }

            // Shadow queries from random free points to each light.
            ShadowIndexCheck(scene, r);
        }
    }

    private static void ShadowIndexCheck(Scene scene, RandomStream r)
    {
        for (int k = 0; k < 2000; k++)
        {
            Vec3 p = new(r.Uniform(0, scene.Width), r.Uniform(0, scene.Depth), r.Uniform(0, scene.Height));
            if (!scene.IsFreeSpace(p.X, p.Y, p.Z))
            {
                continue;
            }

            for (int light = 0; light < scene.PointLights.Length; light++)
            {
                Vec3 position = scene.PointLights[light].Position;
                int excluded = scene.PointLights[light].ExcludedPrimitive;
                Assert.Equal(
                    RayCaster.IsOccluded(scene, p, position, excluded, null),
                    RayCaster.IsOccluded(scene, p, position, excluded, scene.ShadowIndex.PointLights[light]));
            }
        }
    }

    private static Vec3 RandomDirection(RandomStream r)
    {
        while (true)
        {
            Vec3 v = new(r.Uniform(-1, 1), r.Uniform(-1, 1), r.Uniform(-1, 1));
            double length = v.Length;
            if (length > 0.1 && length <= 1)
            {
                return v * (1 / length);
            }
        }
    }
}

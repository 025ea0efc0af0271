using Disco.Geo.Scenes.Geometry;
using Disco.Geo.Scenes.Lighting;
using Disco.Geo.Scenes.Materials;

namespace Disco.Geo.Scenes.Tests;

/// <summary>Hand-built scenes with known geometry, for tests that compare against analytic answers.</summary>
internal static class TestScenes
{
    public static Scene Room(double width, double depth, double height, OrientedBox[]? boxes = null, VerticalCylinder[]? cylinders = null, Ball[]? balls = null) =>
        Room(new RoomShape(new Aabb(Vec3.Zero, new Vec3(width, depth, height))), boxes, cylinders, balls);

    public static Scene Room(RoomShape room, OrientedBox[]? boxes = null, VerticalCylinder[]? cylinders = null, Ball[]? balls = null)
    {
        Material[] materials =
        [
            new Material { Kind = TextureKind.WoodPlanks, Primary = new Rgb(0.5, 0.3, 0.1), Secondary = new Rgb(0.4, 0.25, 0.1), Accent = Rgb.Grey(0.1), Scale = 0.15, Length = 1.2, Seed = 1 },
            new Material { Kind = TextureKind.Plaster, Primary = Rgb.Grey(0.8), Secondary = Rgb.Grey(0.7), Seed = 2 },
            new Material { Kind = TextureKind.Stripes, Primary = new Rgb(0.6, 0.6, 0.4), Secondary = new Rgb(0.5, 0.5, 0.3), Accent = Rgb.Grey(0.9), Scale = 0.2, Seed = 3 },
            new Material { Kind = TextureKind.Paint, Primary = new Rgb(0.2, 0.3, 0.6), Seed = 4 },
        ];
        Vec3 top = room.Bounds.Max;
        return new Scene(room, materials, floorMaterial: 0, wallMaterial: 2, ceilingMaterial: 1)
        {
            Primitives = new PrimitiveSet(boxes ?? [], cylinders ?? [], balls ?? []),
            PointLights = [new PointLight(new Vec3(0.5 * top.X, 0.5 * top.Y, top.Z - 0.3), Rgb.Grey(1.5))],
            Camera = new Camera(0.5 * top.X, 0.5 * top.Y, 1.2),
        };
    }

    /// <summary>An axis-aligned box given by its corners, with the object material.</summary>
    public static OrientedBox Box(int id, Vec3 min, Vec3 max, double yaw = 0) =>
        new(id, (min + max) * 0.5, (max - min) * 0.5, yaw, material: 3);

    /// <summary>Euclidean distance from <paramref name="o"/> along unit <paramref name="d"/> to the box [0, size] from inside.</summary>
    public static double BoxExit(Vec3 o, Vec3 d, Vec3 size, out int axis, out bool atMax)
    {
        double best = double.PositiveInfinity;
        axis = -1;
        atMax = false;
        double[] origin = [o.X, o.Y, o.Z];
        double[] direction = [d.X, d.Y, d.Z];
        double[] bound = [size.X, size.Y, size.Z];
        for (int k = 0; k < 3; k++)
        {
            if (direction[k] == 0)
            {
                continue;
            }

            double plane = direction[k] > 0 ? bound[k] : 0;
            double t = (plane - origin[k]) / direction[k];
            if (t < best)
            {
                (best, axis, atMax) = (t, k, direction[k] > 0);
            }
        }

        return best;
    }

    /// <summary>Viewing direction (azimuth clockwise, towards −y) from the platform math library, independent of the renderer's own trigonometry.</summary>
    public static Vec3 Direction(double colatitude, double azimuth) =>
        new(Math.Sin(colatitude) * Math.Cos(azimuth), -Math.Sin(colatitude) * Math.Sin(azimuth), Math.Cos(colatitude));
}

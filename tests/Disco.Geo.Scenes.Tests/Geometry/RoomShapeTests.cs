using Disco.Geo.Scenes.Geometry;

namespace Disco.Geo.Scenes.Tests.Geometry;

public class RoomShapeTests
{
    // An L: a 4 × 4 main box and a 2 × 3 wing north of its west half.
    private static readonly RoomShape LRoom = new(
        new Aabb(new Vec3(0, 0, 0), new Vec3(4, 4, 3)),
        new Aabb(new Vec3(0, 4, 0), new Vec3(2, 7, 3)));

    [Fact]
    public void A_ray_walks_from_the_main_box_into_the_wing()
    {
        Vec3 origin = new(1, 1, 1.5);
        Assert.Equal(6.0, LRoom.Exit(origin, new Vec3(0, 1, 0), out RoomFace face));
        Assert.Equal(new RoomFace(1, true, 7), face);
        Assert.Equal(3.0, LRoom.Exit(new Vec3(3, 1, 1.5), new Vec3(0, 1, 0), out face));
        Assert.Equal(new RoomFace(1, true, 4), face);
        Assert.Equal(6.0, LRoom.ExitAlongAxis(origin, 1, positive: true));
        Assert.Equal(1.0, LRoom.ExitAlongAxis(origin, 1, positive: false));
        Assert.Equal(1.5, LRoom.ExitAlongAxis(origin, 2, positive: true));
    }

    [Fact]
    public void A_diagonal_ray_meets_the_inner_corner_walls()
    {
        // From the wing towards the south-east: leaves the wing through its east wall x = 2 above y = 4.
        Vec3 origin = new(1, 6, 1.5);
        Vec3 direction = new Vec3(1, -0.5, 0).Normalized();
        double t = LRoom.Exit(origin, direction, out RoomFace face);
        Assert.Equal(new RoomFace(0, true, 2), face);
        Assert.Equal(1 / direction.X, t, 1e-12);
    }

    [Fact]
    public void Containment_respects_the_margin()
    {
        Assert.True(LRoom.Contains(new Vec3(1, 5, 1), 0.5));
        Assert.False(LRoom.Contains(new Vec3(3, 5, 1), 0));
        Assert.False(LRoom.Contains(new Vec3(1, 1, 0.1), 0.5));
    }
}

using Disco.Geo.Sphere.Rotations;

namespace Disco.Geo.Sphere.Tests.Rotations;

public class RotationTests
{
    [Fact]
    public void Rotation_about_z_moves_longitude_eastwards()
    {
        (double x, double y, double z) = Rotation.AboutZ(Math.PI / 2).Apply(1, 0, 0);
        Assert.Equal(0, x, 1e-15);
        Assert.Equal(1, y, 1e-15);
        Assert.Equal(0, z, 1e-15);
    }

    [Fact]
    public void Random_rotations_are_orthonormal_with_determinant_one_and_round_trip_through_every_representation()
    {
        Random random = new(7);
        for (int trial = 0; trial < 200; trial++)
        {
            Rotation r = Rotation.Random(random);
            double det = r[0, 0] * (r[1, 1] * r[2, 2] - r[1, 2] * r[2, 1]) - r[0, 1] * (r[1, 0] * r[2, 2] - r[1, 2] * r[2, 0]) + r[0, 2] * (r[1, 0] * r[2, 1] - r[1, 1] * r[2, 0]);
            Assert.Equal(1.0, det, 1e-12);
            AssertSame(Rotation.Identity, r.Then(r.Inverse()), 1e-12);
            AssertSame(r, Rotation.FromQuaternion(r.ToQuaternion()), 1e-12);
            (double a, double b, double g) = r.ToEulerZyz();
            AssertSame(r, Rotation.FromEulerZyz(a, b, g), 1e-11);
            UnitQuaternion q = r.ToQuaternion();
            double angle = r.Angle;
            double s = Math.Sin(angle / 2);
            AssertSame(r, Rotation.FromAxisAngle(q.X / s, q.Y / s, q.Z / s, angle), 1e-10);
        }
    }

    [Fact]
    public void Euler_angles_survive_gimbal_lock()
    {
        foreach (double beta in new[] { 0.0, Math.PI })
        {
            Rotation r = Rotation.FromEulerZyz(0.3, beta, 0.4);
            (double a, double b, double g) = r.ToEulerZyz();
            AssertSame(r, Rotation.FromEulerZyz(a, b, g), 1e-12);
        }
    }

    [Fact]
    public void Composition_order_and_quaternion_product_agree()
    {
        Rotation first = Rotation.AboutX(0.7);
        Rotation second = Rotation.AboutY(-1.1);
        Rotation composed = first.Then(second);
        (double x, double y, double z) = first.Apply(0.2, -0.5, 0.8);
        (double ex, double ey, double ez) = second.Apply(x, y, z);
        (double cx, double cy, double cz) = composed.Apply(0.2, -0.5, 0.8);
        Assert.Equal(ex, cx, 1e-14);
        Assert.Equal(ey, cy, 1e-14);
        Assert.Equal(ez, cz, 1e-14);
        AssertSame(composed, Rotation.FromQuaternion(second.ToQuaternion() * first.ToQuaternion()), 1e-14);
    }

    [Fact]
    public void Uniform_rotations_spread_the_north_pole_evenly()
    {
        // Under a uniform SO(3) distribution, z of the rotated pole is uniform on [-1, 1]: mean 0, variance 1/3.
        Random random = new(11);
        double[] z = Enumerable.Range(0, 20000).Select(_ => Rotation.Random(random).Apply(0, 0, 1).Z).ToArray();
        Assert.Equal(0.0, z.Average(), 0.02);
        Assert.Equal(1.0 / 3.0, z.Select(v => v * v).Average(), 0.02);
    }

    [Fact]
    public void Degenerate_inputs_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Rotation.FromAxisAngle(0, 0, 0, 1));
        Assert.Throws<ArgumentException>(() => Rotation.FromAxisAngle(1, 0, 0, double.NaN));
        Assert.Throws<ArgumentException>(() => UnitQuaternion.Normalize(0, 0, 0, 0));
    }

    private static void AssertSame(Rotation expected, Rotation actual, double tolerance)
    {
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 3; c++)
            {
                Assert.True(Math.Abs(expected[r, c] - actual[r, c]) <= tolerance, $"element ({r},{c}): {expected[r, c]} vs {actual[r, c]}");
            }
        }
    }
}

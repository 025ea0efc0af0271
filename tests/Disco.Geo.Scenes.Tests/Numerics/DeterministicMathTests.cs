using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Tests.Numerics;

public class DeterministicMathTests
{
    [Fact]
    public void Sine_and_cosine_match_the_platform_to_a_few_ulp()
    {
        RandomStream r = new(11);
        for (int k = 0; k < 20000; k++)
        {
            double x = r.Uniform(-20, 20);
            Assert.True(Math.Abs(DeterministicMath.Sin(x) - Math.Sin(x)) <= 4e-16, $"sin({x})");
            Assert.True(Math.Abs(DeterministicMath.Cos(x) - Math.Cos(x)) <= 4e-16, $"cos({x})");
        }
    }

    [Fact]
    public void Sine_and_cosine_are_exact_at_zero_and_odd_symmetric()
    {
        Assert.Equal(0.0, DeterministicMath.Sin(0));
        Assert.Equal(1.0, DeterministicMath.Cos(0));
        Assert.Equal(1.0, DeterministicMath.Sin(Math.PI / 2));
        for (double x = 0.1; x < 10; x += 0.37)
        {
            Assert.Equal(-DeterministicMath.Sin(x), DeterministicMath.Sin(-x));
            Assert.Equal(DeterministicMath.Cos(x), DeterministicMath.Cos(-x));
        }

        Assert.True(double.IsNaN(DeterministicMath.Sin(double.PositiveInfinity)));
        Assert.True(double.IsNaN(DeterministicMath.Cos(double.NaN)));
    }

    [Fact]
    public void Exp_log_and_pow_match_the_platform_to_relative_1e_15()
    {
        RandomStream r = new(12);
        for (int k = 0; k < 20000; k++)
        {
            double x = r.Uniform(-40, 40);
            Assert.True(Math.Abs(DeterministicMath.Exp(x) / Math.Exp(x) - 1) <= 1e-15, $"exp({x})");
            double y = DeterministicMath.Exp(r.Uniform(-30, 30));
            Assert.True(Math.Abs(DeterministicMath.Log(y) - Math.Log(y)) <= 1e-15 * Math.Max(1, Math.Abs(Math.Log(y))), $"log({y})");
            double p = r.NextDouble();
            Assert.True(Math.Abs(DeterministicMath.Pow(p, 1 / 2.4) / Math.Pow(p, 1 / 2.4) - 1) <= 1e-14, $"pow({p})");
        }

        Assert.Equal(1.0, DeterministicMath.Exp(0));
        Assert.Equal(0.0, DeterministicMath.Log(1));
        Assert.Equal(double.PositiveInfinity, DeterministicMath.Exp(1000));
        Assert.Equal(0.0, DeterministicMath.Exp(-1000));
        Assert.Equal(double.NegativeInfinity, DeterministicMath.Log(0));
        Assert.True(double.IsNaN(DeterministicMath.Log(-1)));
    }
}

namespace Disco.Geo.Scenes.Numerics;

/// <summary>
/// Sine, cosine, exponential and logarithm built only from IEEE-754 +, −, ×, ÷ and exact scaling, which are
/// correctly rounded everywhere. Math.Sin and friends call the platform's C library, whose last bits differ between
/// operating systems and CPUs; using these instead keeps rendered panoramas bit-identical across machines.
/// Accuracy is within a few units in the last place for the arguments a renderer uses (|x| up to about 10^5 for
/// the trigonometric functions); the Taylor series are truncated where the next term is below 10^-17.
/// </summary>
internal static class DeterministicMath
{
    // π/2 split in three parts (Cody–Waite): the first two have 33 significant bits, so k·part is exact for
    // |k| < 2^20 and the reduction x − k·π/2 loses nothing for the angles we see.
    private const double PiOver2Part1 = 1.57079632673412561417e+00;
    private const double PiOver2Part2 = 6.07710050630396597660e-11;
    private const double PiOver2Part3 = 2.02226624871116645580e-21;
    private const double TwoOverPi = 0.63661977236758134308;

    // ln 2 split so that k·Ln2High is exact for the exponents of finite doubles.
    private const double Ln2High = 6.93147180369123816490e-01;
    private const double Ln2Low = 1.90821492927058770002e-10;
    private const double Log2E = 1.44269504088896338700;
    private const double Sqrt2 = 1.41421356237309504880;

    public static double Sin(double x)
    {
        double r = Reduce(x, out int quadrant);
        return quadrant switch
        {
            0 => SinKernel(r),
            1 => CosKernel(r),
            2 => -SinKernel(r),
            _ => -CosKernel(r),
        };
    }

    public static double Cos(double x)
    {
        double r = Reduce(x, out int quadrant);
        return quadrant switch
        {
            0 => CosKernel(r),
            1 => -SinKernel(r),
            2 => -CosKernel(r),
            _ => SinKernel(r),
        };
    }

    public static (double Sin, double Cos) SinCos(double x) => (Sin(x), Cos(x));

    public static double Exp(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        if (x > 709.782712893384)
        {
            return double.PositiveInfinity;
        }

        if (x < -745.2)
        {
            return 0.0;
        }

        double k = Math.Round(x * Log2E);
        double r = (x - k * Ln2High) - k * Ln2Low;

        // e^r for |r| ≤ ln2/2 by Taylor to r^13 (remainder < 5·10^-18).
        double p = 1.0 / 6227020800;
        p = 1.0 / 479001600 + r * p;
        p = 1.0 / 39916800 + r * p;
        p = 1.0 / 3628800 + r * p;
        p = 1.0 / 362880 + r * p;
        p = 1.0 / 40320 + r * p;
        p = 1.0 / 5040 + r * p;
        p = 1.0 / 720 + r * p;
        p = 1.0 / 120 + r * p;
        p = 1.0 / 24 + r * p;
        p = 1.0 / 6 + r * p;
        p = 0.5 + r * p;
        p = 1.0 + r * p;
        p = 1.0 + r * p;
        return Math.ScaleB(p, (int)k);
    }

    public static double Log(double x)
    {
        if (double.IsNaN(x) || x < 0)
        {
            return double.NaN;
        }

        if (x == 0)
        {
            return double.NegativeInfinity;
        }

        if (double.IsPositiveInfinity(x))
        {
            return x;
        }

        int exponent = Math.ILogB(x);
        double m = Math.ScaleB(x, -exponent);
        if (m > Sqrt2)
        {
            m *= 0.5;
            exponent++;
        }

        // log m = 2 atanh(s) with s = (m − 1)/(m + 1), |s| ≤ 0.172: the odd series to s^21 is enough.
        double s = (m - 1) / (m + 1);
        double z = s * s;
        double p = 1.0 / 21;
        p = 1.0 / 19 + z * p;
        p = 1.0 / 17 + z * p;
        p = 1.0 / 15 + z * p;
        p = 1.0 / 13 + z * p;
        p = 1.0 / 11 + z * p;
        p = 1.0 / 9 + z * p;
        p = 1.0 / 7 + z * p;
        p = 1.0 / 5 + z * p;
        p = 1.0 / 3 + z * p;
        double logM = 2 * s + 2 * s * z * p;
        return exponent * Ln2High + (exponent * Ln2Low + logM);
    }

    /// <summary>x^y for x ≥ 0 as e^(y ln x); accurate to about 10^-15 relative for moderate y ln x.</summary>
    public static double Pow(double x, double y) => x == 0 ? (y > 0 ? 0 : y == 0 ? 1 : double.PositiveInfinity) : Exp(y * Log(x));

    private static double Reduce(double x, out int quadrant)
    {
        double k = Math.Round(x * TwoOverPi);
        double r = x - k * PiOver2Part1;
        r -= k * PiOver2Part2;
        r -= k * PiOver2Part3;
        quadrant = double.IsFinite(k) ? (int)((long)k & 3) : 0;
        return r;
    }

    // Taylor series on |r| ≤ π/4; the first omitted terms are below 5·10^-17 relative.
    private static double SinKernel(double r)
    {
        double z = r * r;
        double p = 1.0 / 355687428096000;
        p = -1.0 / 1307674368000 + z * p;
        p = 1.0 / 6227020800 + z * p;
        p = -1.0 / 39916800 + z * p;
        p = 1.0 / 362880 + z * p;
        p = -1.0 / 5040 + z * p;
        p = 1.0 / 120 + z * p;
        p = -1.0 / 6 + z * p;
        return r + r * z * p;
    }

    private static double CosKernel(double r)
    {
        double z = r * r;
        double q = -1.0 / 6402373705728000;
        q = 1.0 / 20922789888000 + z * q;
        q = -1.0 / 87178291200 + z * q;
        q = 1.0 / 479001600 + z * q;
        q = -1.0 / 3628800 + z * q;
        q = 1.0 / 40320 + z * q;
        q = -1.0 / 720 + z * q;
        q = 1.0 / 24 + z * q;
        return 1.0 - 0.5 * z + z * z * q;
    }
}

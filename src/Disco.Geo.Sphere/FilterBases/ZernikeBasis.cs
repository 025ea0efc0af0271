namespace Disco.Geo.Sphere.FilterBases;

/// <summary>
/// Zernike polynomials R_n^{|m|}(r̂)·cos(mφ) (m ≥ 0) or R_n^{|m|}(r̂)·sin(mφ) (m &lt; 0) on the unit disk r̂ = ϑ/r_c,
/// for radial degrees n = 0..N−1 and m = −n, −n+2, …, n: K = N(N+1)/2, index k = n(n+1)/2 + l with m = 2l − n.
/// Each is divided by its L2 norm √(π·ε_m / (2(n+1))), ε_0 = 2, else 1.
/// </summary>
internal sealed class ZernikeBasis : FilterBasis
{
    private readonly (int N, int M, double InverseNorm)[] _modes;

    public ZernikeBasis(int[] kernelShape)
        : base(BasisType.Zernike, [kernelShape[0]])
    {
        int degrees = KernelShape[0];
        _modes = new (int, int, double)[degrees * (degrees + 1) / 2];
        for (int n = 0, k = 0; n < degrees; n++)
        {
            for (int l = 0; l <= n; l++, k++)
            {
                int m = 2 * l - n;
                double epsilon = m == 0 ? 2.0 : 1.0;
                _modes[k] = (n, m, 1.0 / Math.Sqrt(Math.PI * epsilon / (2.0 * (n + 1))));
            }
        }
    }

    public override int KernelSize => _modes.Length;

    public override bool IsIsotropic(int k) => _modes[k].M == 0;

    internal override void Evaluate(double theta, double phi, double cutoff, Span<double> values, Span<bool> inSupport)
    {
        bool support = theta <= cutoff;
        double radius = theta / cutoff;
        for (int k = 0; k < _modes.Length; k++)
        {
            inSupport[k] = support;
            if (!support)
            {
                values[k] = 0.0;
                continue;
            }

            (int n, int m, double inverseNorm) = _modes[k];
            double angular = m < 0 ? Math.Sin(m * phi) : Math.Cos(m * phi);
            values[k] = Radial(n, Math.Abs(m), radius) * angular * inverseNorm;
        }
    }

    private static double Radial(int n, int m, double r)
    {
        double sum = 0.0;
        for (int s = 0; s <= (n - m) / 2; s++)
        {
            double coefficient = Factorial(n - s) / (Factorial(s) * Factorial((n + m) / 2 - s) * Factorial((n - m) / 2 - s));
            sum += (s % 2 == 0 ? 1.0 : -1.0) * coefficient * Math.Pow(r, n - 2 * s);
        }

        return sum;
    }

    private static double Factorial(int n)
    {
        double value = 1.0;
        for (int i = 2; i <= n; i++)
        {
            value *= i;
        }

        return value;
    }
}

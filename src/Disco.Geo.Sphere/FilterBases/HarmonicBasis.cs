namespace Disco.Geo.Sphere.FilterBases;

/// <summary>
/// Fourier modes in local Cartesian coordinates X = r̂ sin φ, Y = r̂ cos φ (r̂ = ϑ/r_c) under a Hann window cos²(π r̂/2),
/// kernel shape (a, b), K = a·b: for k, n = k mod b and m = k div b select sin/cos(⌈n/2⌉πX) · sin/cos(⌈m/2⌉πY)
/// (sine for odd index). Each function is divided by its L2 norm on the unit disk, computed with the same midpoint
/// rule torch-harmonics uses (50 radial × 200 angular cells), so values agree with it.
/// </summary>
internal sealed class HarmonicBasis : FilterBasis
{
    private const int NormRadialCells = 50;
    private const int NormAngularCells = 200;

    private readonly int _columns;
    private readonly double[] _inverseNorms;

    public HarmonicBasis(int[] kernelShape)
        : base(BasisType.Harmonic, kernelShape.Length == 1 ? [kernelShape[0], kernelShape[0]] : [kernelShape[0], kernelShape[1]])
    {
        _columns = KernelShape[1];
        _inverseNorms = new double[KernelSize];
        for (int k = 0; k < KernelSize; k++)
        {
            double sumOfSquares = 0.0;
            for (int a = 0; a < NormRadialCells; a++)
            {
                double radius = (a + 0.5) / NormRadialCells;
                for (int b = 0; b < NormAngularCells; b++)
                {
                    double value = Unnormalised(k, radius, 2.0 * Math.PI * b / NormAngularCells);
                    sumOfSquares += value * value * radius * (1.0 / NormRadialCells) * (2.0 * Math.PI / NormAngularCells);
                }
            }

            _inverseNorms[k] = 1.0 / Math.Sqrt(sumOfSquares);
        }
    }

    public override int KernelSize => KernelShape[0] * KernelShape[1];

    public override bool IsIsotropic(int k) => k == 0;

    internal override void Evaluate(double theta, double phi, double cutoff, Span<double> values, Span<bool> inSupport)
    {
        bool support = theta <= cutoff;
        double radius = theta / cutoff;
        for (int k = 0; k < KernelSize; k++)
        {
            inSupport[k] = support;
            values[k] = support ? Unnormalised(k, radius, phi) * _inverseNorms[k] : 0.0;
        }
    }

    private double Unnormalised(int k, double radius, double phi)
    {
        int n = k % _columns;
        int m = k / _columns;
        double x = radius * Math.Sin(phi);
        double y = radius * Math.Cos(phi);
        double harmonic = Mode(n, x) * Mode(m, y);
        double window = Math.Cos(0.5 * Math.PI * radius);
        return window * window * harmonic;
    }

    private static double Mode(int index, double coordinate)
    {
        double frequency = Math.Ceiling(index / 2.0) * Math.PI;
        return index % 2 == 1 ? Math.Sin(frequency * coordinate) : Math.Cos(frequency * coordinate);
    }
}

namespace Disco.Geo.Sphere.FilterBases;

/// <summary>
/// Hat functions: in radius, nr hats of half-width dr = 2r_c/(nr+1) centred at k·dr (nr odd) or (k+½)·dr (nr even);
/// for nphi &gt; 1 each ring is split into nphi angular hats of half-width 2π/nphi centred at j·2π/nphi − π.
/// K = (nr div 2)·nphi + nr mod 2. With nr odd, k = 0 is the isotropic centre hat; with nr even the innermost ring
/// wraps through the centre (the hat is evaluated at the reflected point (−ϑ, φ − π) too).
/// </summary>
internal sealed class PiecewiseLinearBasis : FilterBasis
{
    private readonly int _radial;
    private readonly int _angular;

    public PiecewiseLinearBasis(int[] kernelShape)
        : base(BasisType.PiecewiseLinear, kernelShape.Length == 1 ? [kernelShape[0], 1] : [kernelShape[0], kernelShape[1]])
    {
        _radial = KernelShape[0];
        _angular = KernelShape[1];
    }

    public override int KernelSize => _radial / 2 * _angular + _radial % 2;

    internal override int DiscreteRotations => _angular;

    internal override int[] RotationPermutation(int steps)
    {
        // Rotating the filter by one sector moves each ring's hats one place along the ring; the centre hat of an odd
        // nr stays. The sectors are evenly spaced on the whole circle, so the rotation is exact.
        int first = _radial % 2;
        int[] permutation = new int[KernelSize];
        for (int k = 0; k < KernelSize; k++)
        {
            permutation[k] = k < first ? k : first + ((k - first) / _angular * _angular) + FloorMod(((k - first) % _angular) + steps, _angular);
        }

        return permutation;
    }

    public override bool IsIsotropic(int k) => _angular == 1 || (_radial % 2 == 1 && k == 0);

    internal override void Evaluate(double theta, double phi, double cutoff, Span<double> values, Span<bool> inSupport)
    {
        double dr = 2 * cutoff / (_radial + 1);
        if (_angular == 1)
        {
            EvaluateIsotropic(theta, cutoff, dr, values, inSupport);
        }
        else if (_radial % 2 == 1)
        {
            EvaluateAnisotropicOdd(theta, phi, cutoff, dr, values, inSupport);
        }
        else
        {
            EvaluateAnisotropicEven(theta, phi, cutoff, dr, values, inSupport);
        }
    }

    private void EvaluateIsotropic(double r, double cutoff, double dr, Span<double> values, Span<bool> inSupport)
    {
        for (int k = 0; k < KernelSize; k++)
        {
            double centre = _radial % 2 == 1 ? k * dr : (k + 0.5) * dr;
            double distance = Math.Abs(r - centre);
            bool support = distance <= dr && r <= cutoff;
            inSupport[k] = support;
            values[k] = support ? 1 - distance / dr : 0.0;
        }
    }

    private void EvaluateAnisotropicOdd(double r, double phi, double cutoff, double dr, Span<double> values, Span<bool> inSupport)
    {
        double dphi = 2.0 * Math.PI / _angular;
        for (int k = 0; k < KernelSize; k++)
        {
            // k = 0 is the centre hat; k ≥ 1 walk the rings outwards, nphi angular hats per ring.
            double centre = (FloorDiv(k - 1, _angular) + 1) * dr;
            double angle = FloorMod(k - 1, _angular) * dphi - Math.PI;
            double radialDistance = Math.Abs(r - centre);
            bool support = radialDistance <= dr && r <= cutoff && (k == 0 || Math.Abs(CircleDistance(phi, angle)) <= dphi);
            inSupport[k] = support;
            if (!support)
            {
                values[k] = 0.0;
                continue;
            }

            double value = 1 - radialDistance / dr;
            value *= k > 0 ? 1 - CircleDistance(phi, angle) / dphi : 1.0;
            values[k] = value;
        }
    }

    private void EvaluateAnisotropicEven(double r, double phi, double cutoff, double dr, Span<double> values, Span<bool> inSupport)
    {
        double dphi = 2.0 * Math.PI / _angular;
        double reflectedR = -r;
        double reflectedPhi = phi + Math.PI >= Math.PI ? phi - Math.PI : phi + Math.PI;
        for (int k = 0; k < KernelSize; k++)
        {
            double centre = (k / _angular + 0.5) * dr;
            double angle = k % _angular * dphi - Math.PI;
            bool radial = Math.Abs(r - centre) <= dr && r <= cutoff;
            bool angular = Math.Abs(CircleDistance(phi, angle)) <= dphi;
            bool reflectedRadial = Math.Abs(reflectedR - centre) <= dr && reflectedR <= cutoff;
            bool reflectedAngular = CircleDistance(reflectedPhi, angle) <= dphi;
            bool support = (radial && angular) || (reflectedRadial && reflectedAngular);
            inSupport[k] = support;
            if (!support)
            {
                values[k] = 0.0;
                continue;
            }

            double direct = (radial ? 1.0 : 0.0) * (1 - Math.Abs(r - centre) / dr);
            direct *= (angular ? 1.0 : 0.0) * (1 - CircleDistance(phi, angle) / dphi);
            double reflected = (reflectedRadial ? 1.0 : 0.0) * (1 - Math.Abs(reflectedR - centre) / dr);
            reflected *= (reflectedAngular ? 1.0 : 0.0) * (1 - CircleDistance(reflectedPhi, angle) / dphi);
            values[k] = direct + reflected;
        }
    }

    // Python's // and % round towards negative infinity; k = 0 relies on that (-1 // n = -1).
    private static int FloorDiv(int a, int b) => (int)Math.Floor(a / (double)b);

    private static int FloorMod(int a, int b) => ((a % b) + b) % b;
}

using Disco.Geo.Grids;

namespace Disco.Geo.Grids.Quadrature;

/// <summary>
/// Latitude quadrature rules on x = cos θ ∈ [−1, 1]. Nodes are produced the way torch-harmonics produces them
/// (rule in x ascending, θ = arccos x, then flipped so index 0 is the north side), so that psi built on these
/// colatitudes agrees with the reference to the last bits where it matters (hat-function edge ties).
/// </summary>
internal static class LatitudeRules
{
    public static LatitudeRule For(GridKind kind, int n) => kind switch
    {
        GridKind.Equiangular => ClenshawCurtis(n),
        GridKind.LegendreGauss => GaussLegendre(n),
        GridKind.Lobatto => GaussLobatto(n),
        GridKind.EquiangularTrapezoidal => TrapezoidalInCosine(n),
        GridKind.Equirectangular => FejerFirst(n),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown grid kind."),
    };

    /// <summary>Smallest latitude count the rule is defined for.</summary>
    public static int MinimumCount(GridKind kind) => kind switch
    {
        GridKind.LegendreGauss or GridKind.Equirectangular => 1,
        _ => 2,
    };

    /// <summary>Clenshaw–Curtis: x_j = cos(jπ/N), N = n − 1, closed-form weights (Waldvogel 2006, eq. 2.4).</summary>
    public static LatitudeRule ClenshawCurtis(int n)
    {
        Require(n, 2);
        int order = n - 1;
        double[] x = new double[n];
        double[] angle = TorchLinspace(Math.PI, 0.0, n);
        for (int j = 0; j < n; j++)
        {
            x[j] = Math.Cos(angle[j]);
        }

        double[] w = new double[n];
        if (n == 2)
        {
            w[0] = w[1] = 1.0;
        }
        else
        {
            int half = order / 2;
            for (int j = 0; j < n; j++)
            {
                double sum = 0.0;
                for (int k = 1; k <= half; k++)
                {
                    double b = 2 * k == order ? 1.0 : 2.0;
                    // Reduce 2kj modulo 2N first so the cosine argument stays small and accurate.
                    long phase = 2L * k * j % (2L * order);
                    sum += b / (4.0 * k * k - 1.0) * Math.Cos(phase * Math.PI / order);
                }

                double c = j == 0 || j == order ? 1.0 : 2.0;
                w[j] = c / order * (1.0 - sum);
            }
        }

        return FromAscendingCosines(x, w);
    }

    /// <summary>Gauss–Legendre nodes (roots of P_n) by Newton iteration, weights 2 / ((1 − x²) P_n'(x)²).</summary>
    public static LatitudeRule GaussLegendre(int n)
    {
        Require(n, 1);
        double[] x = new double[n];
        double[] w = new double[n];
        for (int i = 0; i < (n + 1) / 2; i++)
        {
            // Tricomi's initial guess, descending; mirrored below.
            double root = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5));
            double derivative = 0.0;
            for (int iteration = 0; iteration < 100; iteration++)
            {
                (double p, double dp) = LegendreWithDerivative(n, root);
                derivative = dp;
                double step = p / dp;
                root -= step;
                if (Math.Abs(step) <= 1e-16 * Math.Max(1.0, Math.Abs(root)))
                {
                    break;
                }
            }

            derivative = LegendreWithDerivative(n, root).Derivative;
            double weight = 2.0 / ((1.0 - root * root) * derivative * derivative);
            x[n - 1 - i] = root;
            x[i] = -root;
            w[n - 1 - i] = weight;
            w[i] = weight;
        }

        if (n % 2 == 1)
        {
            x[n / 2] = 0.0;
        }

        return FromAscendingCosines(x, w);
    }

    /// <summary>
    /// Gauss–Lobatto–Legendre: ±1 and the roots of P'_{n−1}; Newton iteration from Chebyshev–Lobatto guesses on
    /// x·P_N − P_{N−1} = 0 (N = n − 1), weights 2 / (N(N+1) P_N(x)²).
    /// </summary>
    public static LatitudeRule GaussLobatto(int n)
    {
        Require(n, 2);
        int order = n - 1;
        double[] x = new double[n];
        double[] w = new double[n];
        for (int i = 0; i < n; i++)
        {
            double node = -Math.Cos(Math.PI * i / order);
            for (int iteration = 0; iteration < 100; iteration++)
            {
                (double pN, double pNm1) = LegendrePair(order, node);
                double next = node - (node * pN - pNm1) / (n * pN);
                bool converged = Math.Abs(next - node) < 1e-16;
                node = next;
                if (converged)
                {
                    break;
                }
            }

            x[i] = node;
            double last = LegendrePair(order, node).Pn;
            w[i] = 2.0 / ((double)n * order * last * last);
        }

        return FromAscendingCosines(x, w);
    }

    /// <summary>torch-harmonics "equiangular-trapezoidal": x equispaced on [−1, 1], trapezoidal weights.</summary>
    public static LatitudeRule TrapezoidalInCosine(int n)
    {
        Require(n, 2);
        double[] x = NumpyLinspace(-1.0, 1.0, n);
        double[] w = new double[n];
        double h = 2.0 / (n - 1);
        for (int i = 0; i < n; i++)
        {
            w[i] = h;
        }

        w[0] *= 0.5;
        w[^1] *= 0.5;
        return FromAscendingCosines(x, w);
    }

    /// <summary>Fejér's first rule on the pixel-centred colatitudes θ_i = (i + ½)π/n.</summary>
    public static LatitudeRule FejerFirst(int n)
    {
        Require(n, 1);
        double[] theta = new double[n];
        double[] w = new double[n];
        int half = n / 2;
        for (int i = 0; i < n; i++)
        {
            theta[i] = (i + 0.5) * Math.PI / n;
            double sum = 0.0;
            for (int k = 1; k <= half; k++)
            {
                sum += Math.Cos(2.0 * k * theta[i]) / (4.0 * k * k - 1.0);
            }

            w[i] = 2.0 / n * (1.0 - 2.0 * sum);
        }

        return new LatitudeRule(theta, w);
    }

    /// <summary>torch.linspace(start, end, steps) in float64: the first half counts up from start, the second down from end.</summary>
    internal static double[] TorchLinspace(double start, double end, int steps)
    {
        double[] values = new double[steps];
        if (steps == 1)
        {
            values[0] = start;
            return values;
        }

        double step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++)
        {
            values[i] = i < halfway ? start + step * i : end - step * (steps - i - 1);
        }

        return values;
    }

    private static double[] NumpyLinspace(double start, double stop, int count)
    {
        double[] values = new double[count];
        double step = (stop - start) / (count - 1);
        for (int i = 0; i < count; i++)
        {
            values[i] = i * step + start;
        }

        values[^1] = stop;
        return values;
    }

    private static LatitudeRule FromAscendingCosines(double[] ascendingX, double[] weights)
    {
        int n = ascendingX.Length;
        double[] theta = new double[n];
        double[] w = new double[n];
        for (int i = 0; i < n; i++)
        {
            theta[i] = Math.Acos(Math.Clamp(ascendingX[n - 1 - i], -1.0, 1.0));
            w[i] = weights[n - 1 - i];
        }

        return new LatitudeRule(theta, w);
    }

    private static (double Value, double Derivative) LegendreWithDerivative(int n, double x)
    {
        (double pn, double pnm1) = LegendrePair(n, x);
        double derivative = n * (x * pn - pnm1) / (x * x - 1.0);
        return (pn, derivative);
    }

    private static (double Pn, double Pnm1) LegendrePair(int n, double x)
    {
        double previous = 1.0;
        if (n == 0)
        {
            return (1.0, 0.0);
        }

        double current = x;
        for (int k = 2; k <= n; k++)
        {
            double next = ((2 * k - 1) * x * current - (k - 1) * previous) / k;
            previous = current;
            current = next;
        }

        return (current, previous);
    }

    private static void Require(int n, int minimum)
    {
        if (n < minimum)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, $"This quadrature rule needs at least {minimum} latitudes.");
        }
    }
}

using TorchSharp;
using static Disco.Geo.Sphere.Tests.Contraction.ContractionTestData;

namespace Disco.Geo.Sphere.Tests.Contraction;

/// <summary>A small float64 gradcheck: autograd's vector–Jacobian products against central finite differences.</summary>
internal static class GradientCheck
{
    /// <summary>
    /// Builds the Jacobian of f at x column by column from central differences, then compares uᵀJ with the gradient
    /// autograd returns for a few random cotangents u. Returns the largest relative error.
    /// </summary>
    public static double VectorJacobianError(Func<torch.Tensor, torch.Tensor> f, double[] x, long[] shape, Random random, int probes = 3, double step = 1e-6)
    {
        double[][] columns = new double[x.Length][];
        long[] outputShape = [];
        using (torch.no_grad())
        {
            for (int e = 0; e < x.Length; e++)
            {
                using DisposeScope scope = torch.NewDisposeScope();
                double[] plus = (double[])x.Clone(), minus = (double[])x.Clone();
                plus[e] += step;
                minus[e] -= step;
                torch.Tensor high = f(Tensor(plus, shape));
                double[] up = Values(high), down = Values(f(Tensor(minus, shape)));
                outputShape = high.shape;
                columns[e] = up.Select((v, m) => (v - down[m]) / (2 * step)).ToArray();
            }
        }

        double worst = 0;
        for (int probe = 0; probe < probes; probe++)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            double[] u = RandomArray(random, columns[0].Length);
            torch.Tensor input = Tensor(x, shape).requires_grad_(true);
            torch.Tensor output = f(input);
            Assert.True(output.requires_grad, "the output is not connected to the input in the autograd graph");
            IList<torch.Tensor> gradients = torch.autograd.grad([output], [input], [Tensor(u, outputShape)], false, false, false);
            double[] analytic = Values(gradients[0]);
            double[] numeric = columns.Select(column => Dot(column, u)).ToArray();
            worst = Math.Max(worst, RelativeError(analytic, numeric));
        }

        return worst;
    }
}

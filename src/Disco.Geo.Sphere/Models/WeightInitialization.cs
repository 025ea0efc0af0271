using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Models;

/// <summary>
/// Deterministic initialisation from a seed with a private generator, so that the same configuration and seed give
/// bit-identical weights whatever else the process does with torch's global generator (other threads, other models).
/// Convolution weights ~ N(0, 1/fan_in) — for DISCO layers fan_in = (Cin/groups)·K, torch-harmonics' own scale; for
/// Conv2d fan_in = Cin·kh·kw. The second convolution of every residual block is scaled by
/// <see cref="ResidualBranchScale"/> so that each block starts close to the identity and deep U-Nets train from the
/// first step. Biases start at 0, normalisation scales at 1.
/// </summary>
internal static class WeightInitialization
{
    public const double ResidualBranchScale = 0.25;

    public static void Apply(nn.Module module, long seed)
    {
        using Generator generator = new((ulong)seed, CPU);
        using IDisposable noGrad = no_grad();
        foreach ((string name, TorchSharp.Modules.Parameter parameter) in module.named_parameters())
        {
            using DisposeScope scope = NewDisposeScope();
            long[] shape = parameter.shape;
            bool isWeight = name.EndsWith("weight", StringComparison.Ordinal);
            if (!isWeight || shape.Length == 1)
            {
                // Biases, and the scales of normalisation layers.
                parameter.fill_(isWeight ? Runtime.Scalars.One : Runtime.Scalars.Zero);
                continue;
            }

            long fanIn = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
            double std = 1.0 / Math.Sqrt(fanIn);
            if (name.Contains(".conv2.", StringComparison.Ordinal))
            {
                std *= ResidualBranchScale;
            }

            using Scalar stdScalar = std.ToScalar();
            Tensor values = randn(shape, ScalarType.Float32, generator: generator).mul_(stdScalar);
            parameter.copy_(values);
        }
    }
}

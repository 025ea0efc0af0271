using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.Psi;
using TorchSharp;

namespace Disco.Geo.Sphere.Tests.Contraction;

/// <summary>Random psi patterns, the dense reference contraction in plain double loops, and tensor helpers.</summary>
internal static class ContractionTestData
{
    /// <summary>
    /// A random psi with empty rows, explicit zeros and a mix of banded and scattered columns (including whole
    /// latitude rings, like the pole rows of a real psi).
    /// </summary>
    public static PsiTensor RandomPsi(Random random, int kernelSize, int nlatOut, int nlonOut, int nlatIn, int nlonIn)
    {
        List<int> offsets = [0];
        List<int> columns = [];
        List<double> values = [];
        for (int row = 0; row < kernelSize * nlatOut; row++)
        {
            SortedSet<int> chosen = [];
            double kind = random.NextDouble();
            if (kind < 0.15)
            {
                // Empty row.
            }
            else if (kind < 0.3)
            {
                int ring = random.Next(nlatIn);
                for (int p = 0; p < nlonIn; p++)
                {
                    chosen.Add((ring * nlonIn) + p);
                }
            }
            else
            {
                int count = 1 + random.Next(Math.Min(12, nlatIn * nlonIn));
                while (chosen.Count < count)
                {
                    chosen.Add(random.Next(nlatIn * nlonIn));
                }
            }

            foreach (int column in chosen)
            {
                columns.Add(column);
                values.Add(random.NextDouble() < 0.2 ? 0.0 : (2 * random.NextDouble()) - 1);
            }

            offsets.Add(columns.Count);
        }

        return new PsiTensor(kernelSize, nlatOut, nlonOut, nlatIn, nlonIn, [.. offsets], [.. columns], [.. values]);
    }

    /// <summary>
    /// A backend by name. "TensorOpsThroughOps" is the tensor-ops backend differentiated by autograd through its ops,
    /// "TensorOpsChunked…" processes one output latitude per chunk (the production budget makes test sizes one chunk).
    /// </summary>
    public static IDiscoContraction Create(PsiTensor psi, string backend) => backend switch
    {
        "TensorOpsThroughOps" => new FftDiscoContraction(psi, autogradThroughOps: true),
        "TensorOpsChunked" => new FftDiscoContraction(psi, chunkBudgetBytes: 1),
        "TensorOpsChunkedThroughOps" => new FftDiscoContraction(psi, autogradThroughOps: true, chunkBudgetBytes: 1),
        _ => DiscoContraction.Create(psi, Enum.Parse<ContractionBackend>(backend)),
    };

    public static double[] RandomArray(Random random, long length)
    {
        double[] data = new double[length];
        for (long n = 0; n < length; n++)
        {
            data[n] = (2 * random.NextDouble()) - 1;
        }

        return data;
    }

    /// <summary>z[b,c,k,t,q] = Σ ψ[k,t,i,p] · x[b,c,i,(p + s·q) mod NLonIn], x flat [B·C, NLatIn, NLonIn].</summary>
    public static double[] DenseContract(PsiTensor psi, double[] x, int channels)
    {
        int s = psi.LonStride, wi = psi.NLonIn, wo = psi.NLonOut;
        double[] z = new double[(long)channels * psi.RowCount * wo];
        for (int bc = 0; bc < channels; bc++)
        {
            for (int row = 0; row < psi.RowCount; row++)
            {
                for (int q = 0; q < wo; q++)
                {
                    double sum = 0;
                    for (int e = psi.RowOffsets[row]; e < psi.RowOffsets[row + 1]; e++)
                    {
                        int i = psi.Columns[e] / wi, p = psi.Columns[e] % wi;
                        sum += psi.Values[e] * x[(((long)bc * psi.NLatIn) + i) * wi + ((p + (s * q)) % wi)];
                    }

                    z[(((long)bc * psi.RowCount) + row) * wo + q] = sum;
                }
            }
        }

        return z;
    }

    /// <summary>x[b,c,i,p'] = Σ ψ[k,t,i,(p' − s·q) mod NLonIn] · z[b,c,k,t,q], z flat [B·C, K·NLatOut, NLonOut].</summary>
    public static double[] DenseAdjoint(PsiTensor psi, double[] z, int channels)
    {
        int s = psi.LonStride, wi = psi.NLonIn, wo = psi.NLonOut;
        double[] x = new double[(long)channels * psi.NLatIn * wi];
        for (int bc = 0; bc < channels; bc++)
        {
            for (int row = 0; row < psi.RowCount; row++)
            {
                for (int e = psi.RowOffsets[row]; e < psi.RowOffsets[row + 1]; e++)
                {
                    int i = psi.Columns[e] / wi, p = psi.Columns[e] % wi;
                    for (int q = 0; q < wo; q++)
                    {
                        x[(((long)bc * psi.NLatIn) + i) * wi + ((p + (s * q)) % wi)] += psi.Values[e] * z[(((long)bc * psi.RowCount) + row) * wo + q];
                    }
                }
            }
        }

        return x;
    }

    public static long[] InputShape(PsiTensor psi, int batch, int channels) => [batch, channels, psi.NLatIn, psi.NLonIn];

    public static long[] OutputShape(PsiTensor psi, int batch, int channels) => [batch, channels, psi.KernelSize, psi.NLatOut, psi.NLonOut];

    public static torch.Tensor Tensor(double[] data, long[] shape, torch.ScalarType dtype = torch.ScalarType.Float64) =>
        torch.tensor(data, shape, dtype: torch.ScalarType.Float64).to(dtype);

    public static double[] Values(torch.Tensor tensor)
    {
        using torch.Tensor flat = tensor.detach().to(torch.ScalarType.Float64).cpu().contiguous().flatten();
        return flat.data<double>().ToArray();
    }

    /// <summary>max |actual − expected| / max |expected| (absolute when expected is all zeros).</summary>
    public static double RelativeError(double[] actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double error = 0, scale = 0;
        for (int n = 0; n < expected.Length; n++)
        {
            error = Math.Max(error, Math.Abs(actual[n] - expected[n]));
            scale = Math.Max(scale, Math.Abs(expected[n]));
        }

        return scale > 0 ? error / scale : error;
    }

    public static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int n = 0; n < a.Length; n++)
        {
            sum += a[n] * b[n];
        }

        return sum;
    }

    public static double Norm(double[] a) => Math.Sqrt(Dot(a, a));
}

using Disco.Geo.Sphere.Psi;
using TorchSharp;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// The contraction from standard tensor ops only, so it runs on any device and autograd differentiates it.
/// <para>
/// Along longitude each psi row is a circular cross-correlation: with the full-resolution result
/// <c>y[k,t,m] = Σ_{i,p} ψ[k,t,i,p] · x[i,(p + m) mod NLonIn]</c>, the DFT gives <c>Y[k,t,f] = Σ_i conj(Ψ[k,t,i,f]) · X[i,f]</c>
/// and <c>z[..., q] = y[..., s·q]</c>. Each output latitude t only touches a narrow band of input latitudes
/// [bandStart[t], bandStart[t] + W), so X is gathered per band and contracted with the cached rfft of the psi band.
/// The adjoint is a circular convolution of the zero-interleaved z (z on the fine longitude grid, zeros between):
/// <c>X[i,f] = Σ_{k,t} Ψ[k,t,i,f] · Zup[k,t,f]</c>, scattered back from the bands with index_add.
/// Output latitudes are processed in chunks so the banded intermediates stay within a fixed memory budget.
/// </para>
/// </summary>
internal sealed class FftDiscoContraction : IDiscoContraction
{
    // Upper bound on each banded complex intermediate per chunk of output latitudes.
    private const long ChunkBudgetBytes = 256L << 20;

    private readonly object _gate = new();
    private readonly Dictionary<(torch.ScalarType, DeviceType, int), SpectralPsi> _spectra = [];
    private readonly int[] _bandStart;
    private readonly int _bandWidth;
    private bool _disposed;

    public FftDiscoContraction(PsiTensor psi)
    {
        ContractionValidation.CheckPsi(psi);
        Psi = psi;
        (_bandStart, _bandWidth) = FindBands(psi);
    }

    public PsiTensor Psi { get; }

    public ContractionBackend Backend => ContractionBackend.TensorOps;

    /// <summary>Input latitudes gathered per output latitude (the widest band of any output latitude).</summary>
    public int BandWidth => _bandWidth;

    public torch.Tensor Contract(torch.Tensor x)
    {
        ContractionValidation.CheckContractInput(Psi, x, cpuOnly: false);
        SpectralPsi spectra = Spectra(x);
        using DisposeScope scope = torch.NewDisposeScope();
        long batch = x.shape[0], channels = x.shape[1];
        long bc = batch * channels;
        int wi = Psi.NLonIn, s = Psi.LonStride, w = _bandWidth, ho = Psi.NLatOut;
        int frequencies = (wi / 2) + 1;

        torch.Tensor spectrum = torch.fft.rfft(x.reshape(bc, Psi.NLatIn, wi), dim: -1);
        int chunk = LatitudesPerChunk(bc * Math.Max(w, Psi.KernelSize) * frequencies * ComplexBytes(x.dtype));
        List<torch.Tensor> parts = [];
        for (int t0 = 0; t0 < ho; t0 += chunk)
        {
            int tc = Math.Min(chunk, ho - t0);
            torch.Tensor band = spectrum.index_select(1, spectra.BandIndex.narrow(0, (long)t0 * w, (long)tc * w)).view(bc, tc, w, frequencies);
            torch.Tensor product = torch.einsum("ktwm,btwm->bktm", spectra.PsiHat.narrow(1, t0, tc).conj(), band);
            torch.Tensor full = torch.fft.irfft(product, wi, dim: -1);
            parts.Add(s == 1 ? full : full.slice(-1, 0, wi, s));
        }

        torch.Tensor z = parts.Count == 1 ? parts[0].contiguous() : torch.cat([.. parts], 2);
        return z.view(batch, channels, Psi.KernelSize, ho, Psi.NLonOut).MoveToOuterDisposeScope();
    }

    public torch.Tensor ContractAdjoint(torch.Tensor z)
    {
        ContractionValidation.CheckAdjointInput(Psi, z, cpuOnly: false);
        SpectralPsi spectra = Spectra(z);
        using DisposeScope scope = torch.NewDisposeScope();
        long batch = z.shape[0], channels = z.shape[1];
        long bc = batch * channels;
        int wi = Psi.NLonIn, wo = Psi.NLonOut, s = Psi.LonStride, w = _bandWidth, ho = Psi.NLatOut, k = Psi.KernelSize;
        int frequencies = (wi / 2) + 1;

        torch.Tensor rows = z.reshape(bc, k, ho, wo);
        if (s > 1)
        {
            // Zero-interleave onto the input longitude grid: zup[.., s·q] = z[.., q], zeros in between.
            torch.Tensor zeros = torch.zeros_like(rows);
            torch.Tensor[] phases = [rows, .. Enumerable.Repeat(zeros, s - 1)];
            rows = torch.stack(phases, -1).view(bc, k, ho, wi);
        }

        torch.Tensor spectrum = torch.fft.rfft(rows, dim: -1);
        torch.Tensor accumulated = torch.zeros([bc, Psi.NLatIn, frequencies], dtype: spectrum.dtype, device: z.device);
        int chunk = LatitudesPerChunk(bc * Math.Max(w, k) * frequencies * ComplexBytes(z.dtype));
        for (int t0 = 0; t0 < ho; t0 += chunk)
        {
            int tc = Math.Min(chunk, ho - t0);
            torch.Tensor product = torch.einsum("ktwm,bktm->btwm", spectra.PsiHat.narrow(1, t0, tc), spectrum.narrow(2, t0, tc));
            accumulated = accumulated.index_add(1, spectra.BandIndex.narrow(0, (long)t0 * w, (long)tc * w), product.reshape(bc, (long)tc * w, frequencies), 1);
        }

        torch.Tensor x = torch.fft.irfft(accumulated, wi, dim: -1);
        return x.view(batch, channels, Psi.NLatIn, wi).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (SpectralPsi spectra in _spectra.Values)
            {
                spectra.Dispose();
            }

            _spectra.Clear();
        }
    }

    private static long ComplexBytes(torch.ScalarType dtype) => dtype == torch.ScalarType.Float32 ? 8 : 16;

    private int LatitudesPerChunk(long bytesPerLatitude) =>
        (int)Math.Clamp(ChunkBudgetBytes / Math.Max(bytesPerLatitude, 1), 1, Psi.NLatOut);

    /// <summary>Per output latitude, the first input latitude of its band; the band width covers every latitude's entries.</summary>
    private static (int[] Start, int Width) FindBands(PsiTensor psi)
    {
        int[] first = new int[psi.NLatOut], last = new int[psi.NLatOut];
        Array.Fill(first, int.MaxValue);
        Array.Fill(last, -1);
        for (int row = 0; row < psi.RowCount; row++)
        {
            int t = row % psi.NLatOut;
            for (int e = psi.RowOffsets[row]; e < psi.RowOffsets[row + 1]; e++)
            {
                if (psi.Values[e] == 0)
                {
                    continue;
                }

                int i = psi.Columns[e] / psi.NLonIn;
                first[t] = Math.Min(first[t], i);
                last[t] = Math.Max(last[t], i);
            }
        }

        int width = 1;
        for (int t = 0; t < psi.NLatOut; t++)
        {
            if (last[t] >= 0)
            {
                width = Math.Max(width, last[t] - first[t] + 1);
            }
        }

        // Shift bands that would run past the last input latitude back, so every band index is a real, distinct row.
        int[] start = new int[psi.NLatOut];
        for (int t = 0; t < psi.NLatOut; t++)
        {
            start[t] = last[t] < 0 ? 0 : Math.Min(first[t], psi.NLatIn - width);
        }

        return (start, width);
    }

    private SpectralPsi Spectra(torch.Tensor like)
    {
        torch.ScalarType complex = like.dtype == torch.ScalarType.Float32 ? torch.ScalarType.ComplexFloat32 : torch.ScalarType.ComplexFloat64;
        (torch.ScalarType, DeviceType, int) key = (complex, like.device_type, like.device_index);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_spectra.TryGetValue(key, out SpectralPsi? spectra))
            {
                spectra = BuildSpectra(complex, like.device);
                _spectra[key] = spectra;
            }

            return spectra;
        }
    }

    /// <summary>rfft of the dense psi band ψ[k, t, w, p] = ψ[k, t, bandStart[t] + w, p], built in float64 chunk by chunk.</summary>
    private SpectralPsi BuildSpectra(torch.ScalarType complex, torch.Device device)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        PsiTensor psi = Psi;
        int k = psi.KernelSize, ho = psi.NLatOut, wi = psi.NLonIn, w = _bandWidth;
        long bytesPerLatitude = (long)k * w * wi * sizeof(double);
        int chunk = (int)Math.Clamp((64L << 20) / bytesPerLatitude, 1, ho);
        List<torch.Tensor> parts = [];
        for (int t0 = 0; t0 < ho; t0 += chunk)
        {
            int tc = Math.Min(chunk, ho - t0);
            double[] dense = new double[(long)k * tc * w * wi];
            for (int kk = 0; kk < k; kk++)
            {
                for (int t = t0; t < t0 + tc; t++)
                {
                    int row = psi.Row(kk, t);
                    for (int e = psi.RowOffsets[row]; e < psi.RowOffsets[row + 1]; e++)
                    {
                        int i = psi.Columns[e] / wi, p = psi.Columns[e] % wi;
                        long at = ((((((long)kk * tc) + (t - t0)) * w) + (i - _bandStart[t])) * wi) + p;
                        dense[at] += psi.Values[e];
                    }
                }
            }

            torch.Tensor band = torch.tensor(dense, [k, tc, w, wi], dtype: torch.ScalarType.Float64);
            parts.Add(torch.fft.rfft(band, dim: -1).to(complex).to(device));
        }

        torch.Tensor psiHat = parts.Count == 1 ? parts[0] : torch.cat([.. parts], 1);
        long[] index = new long[(long)ho * w];
        for (int t = 0; t < ho; t++)
        {
            for (int b = 0; b < w; b++)
            {
                index[((long)t * w) + b] = _bandStart[t] + b;
            }
        }

        torch.Tensor bandIndex = torch.tensor(index, dtype: torch.ScalarType.Int64).to(device);
        return new SpectralPsi(psiHat.DetachFromDisposeScope(), bandIndex.DetachFromDisposeScope());
    }

    /// <summary>Device- and dtype-specific cached data: psi band spectra [K, NLatOut, W, NLonIn/2+1] and the band row index [NLatOut·W].</summary>
    private sealed class SpectralPsi(torch.Tensor psiHat, torch.Tensor bandIndex) : IDisposable
    {
        public torch.Tensor PsiHat { get; } = psiHat;

        public torch.Tensor BandIndex { get; } = bandIndex;

        public void Dispose()
        {
            PsiHat.Dispose();
            BandIndex.Dispose();
        }
    }
}

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
/// The adjoint is a circular convolution of the zero-interleaved z (z on the fine longitude grid, zeros between),
/// whose spectrum is z's spectrum repeated periodically: <c>X[i,f] = Σ_{k,t} Ψ[k,t,i,f] · Z[k,t, f mod NLonOut]</c>,
/// scattered back from the bands with index_add.
/// Output latitudes are processed in chunks (only the input rows a chunk touches are transformed), so the banded
/// intermediates stay within a fixed memory budget.
/// </para>
/// <para>
/// By default each direction is wrapped in the same autograd functions as the CPU kernel (the backward is the other
/// direction, itself made of these tensor ops), so a training step keeps no banded intermediates alive: at
/// 2049×4096 → 1025×2048 autograd through the raw ops saved several GB of them. Autograd through the ops themselves
/// stays available (<c>autogradThroughOps</c>) and gives the same gradients.
/// </para>
/// </summary>
internal sealed class FftDiscoContraction : IDiscoContraction, IContractionKernels
{
    /// <summary>Default upper bound on each banded complex intermediate per chunk of output latitudes.</summary>
    public const long DefaultChunkBudgetBytes = 128L << 20;

    private readonly object _gate = new();
    private readonly Dictionary<(torch.ScalarType, DeviceType, int), SpectralPsi> _spectra = [];
    private readonly int[] _bandStart;
    private readonly int _bandWidth;
    private readonly bool _autogradThroughOps;
    private readonly long _chunkBudgetBytes;
    private bool _disposed;

    /// <param name="psi">The psi to contract with.</param>
    /// <param name="autogradThroughOps">Differentiate through the tensor ops instead of the adjoint-as-backward functions.</param>
    /// <param name="chunkBudgetBytes">Upper bound on each banded intermediate; at least one output latitude is processed at a time.</param>
    public FftDiscoContraction(PsiTensor psi, bool autogradThroughOps = false, long chunkBudgetBytes = DefaultChunkBudgetBytes)
    {
        ContractionValidation.CheckPsi(psi);
        Psi = psi;
        _autogradThroughOps = autogradThroughOps;
        _chunkBudgetBytes = chunkBudgetBytes;
        (_bandStart, _bandWidth) = FindBands(psi);
    }

    public PsiTensor Psi { get; }

    public ContractionBackend Backend => ContractionBackend.TensorOps;

    /// <summary>Input latitudes gathered per output latitude (the widest band of any output latitude).</summary>
    public int BandWidth => _bandWidth;

    public torch.Tensor Contract(torch.Tensor x)
    {
        ContractionValidation.CheckContractInput(Psi, x, cpuOnly: false);
        return _autogradThroughOps ? ContractNoGrad(x) : DiscoContractFunction.apply(x, this);
    }

    public torch.Tensor ContractAdjoint(torch.Tensor z)
    {
        ContractionValidation.CheckAdjointInput(Psi, z, cpuOnly: false);
        return _autogradThroughOps ? ContractAdjointNoGrad(z) : DiscoContractAdjointFunction.apply(z, this);
    }

    /// <summary>The forward contraction from tensor ops (differentiable by autograd when grad mode is on).</summary>
    public torch.Tensor ContractNoGrad(torch.Tensor x)
    {
        SpectralPsi spectra = Spectra(x);
        using DisposeScope scope = torch.NewDisposeScope();
        long batch = x.shape[0], channels = x.shape[1];
        long bc = batch * channels;
        int wi = Psi.NLonIn, s = Psi.LonStride, w = _bandWidth, ho = Psi.NLatOut, k = Psi.KernelSize;
        int frequencies = (wi / 2) + 1;

        torch.Tensor input = x.reshape(bc, Psi.NLatIn, wi);
        torch.Tensor z = torch.empty([bc, k, ho, Psi.NLonOut], dtype: x.dtype, device: x.device);
        int chunk = LatitudesPerChunk(bc * Math.Max(w, k) * frequencies * ComplexBytes(x.dtype));
        for (int t0 = 0; t0 < ho; t0 += chunk)
        {
            int tc = Math.Min(chunk, ho - t0);
            using DisposeScope chunkScope = torch.NewDisposeScope();

            // Only the input rows this chunk's bands touch are transformed, so no full-size spectrum is ever held.
            (int first, int count) = InputRows(t0, tc);
            torch.Tensor spectrum = torch.fft.rfft(input.narrow(1, first, count), dim: -1);
            torch.Tensor band = spectrum.index_select(1, BandIndex(spectra, t0, tc, first)).view(bc, tc, w, frequencies);
            torch.Tensor product = torch.einsum("ktwm,btwm->bktm", spectra.PsiHat.narrow(1, t0, tc).conj(), band);
            torch.Tensor full = torch.fft.irfft(product, wi, dim: -1);
            z.narrow(2, t0, tc).copy_(s == 1 ? full : full.slice(-1, 0, wi, s));
        }

        return z.view(batch, channels, k, ho, Psi.NLonOut).MoveToOuterDisposeScope();
    }

    /// <summary>The adjoint contraction from tensor ops (differentiable by autograd when grad mode is on).</summary>
    public torch.Tensor ContractAdjointNoGrad(torch.Tensor z)
    {
        SpectralPsi spectra = Spectra(z);
        using DisposeScope scope = torch.NewDisposeScope();
        long batch = z.shape[0], channels = z.shape[1];
        long bc = batch * channels;
        int wi = Psi.NLonIn, wo = Psi.NLonOut, s = Psi.LonStride, w = _bandWidth, ho = Psi.NLatOut, k = Psi.KernelSize;
        int frequencies = (wi / 2) + 1;

        torch.Tensor spectrum = torch.fft.rfft(z.reshape(bc, k, ho, wo), dim: -1);
        torch.Tensor accumulated = torch.zeros([bc, Psi.NLatIn, frequencies], dtype: spectrum.dtype, device: z.device);
        int chunk = LatitudesPerChunk(bc * Math.Max(w, k) * frequencies * ComplexBytes(z.dtype));
        for (int t0 = 0; t0 < ho; t0 += chunk)
        {
            int tc = Math.Min(chunk, ho - t0);
            using DisposeScope chunkScope = torch.NewDisposeScope();
            torch.Tensor rows = spectrum.narrow(2, t0, tc);
            if (s > 1)
            {
                // z zero-interleaved onto the input longitudes has the spectrum of z repeated periodically:
                // Zup[f] = Z[f mod NLonOut], taking conjugates for the bins rfft does not store.
                torch.Tensor withConjugates = torch.cat([rows, rows.conj().resolve_conj()], -1);
                rows = withConjugates.index_select(-1, spectra.UnfoldIndex!);
            }

            // Σ_k as K broadcast multiply-adds: einsum maps this contraction over the short k axis to batched
            // matrix products of shape (W × K)·(K × B·C) per (t, m), which measured 2–3× slower on the CPU.
            torch.Tensor psiChunk = spectra.PsiHat.narrow(1, t0, tc);
            torch.Tensor product = psiChunk.select(0, 0).unsqueeze(0) * rows.select(1, 0).unsqueeze(2);
            for (int kk = 1; kk < k; kk++)
            {
                product.add_(psiChunk.select(0, kk).unsqueeze(0) * rows.select(1, kk).unsqueeze(2), Runtime.Scalars.One);
            }

            accumulated.index_add_(1, BandIndex(spectra, t0, tc, 0), product.reshape(bc, (long)tc * w, frequencies), Runtime.Scalars.One);
        }

        torch.Tensor x = torch.fft.irfft(accumulated, wi, dim: -1);
        return x.view(batch, channels, Psi.NLatIn, wi).MoveToOuterDisposeScope();
    }

    /// <summary>The input rows [first, first + count) covered by the bands of output latitudes [t0, t0 + tc).</summary>
    private (int First, int Count) InputRows(int t0, int tc)
    {
        int first = int.MaxValue, last = 0;
        for (int t = t0; t < t0 + tc; t++)
        {
            first = Math.Min(first, _bandStart[t]);
            last = Math.Max(last, _bandStart[t] + _bandWidth);
        }

        return (first, last - first);
    }

    /// <summary>Band row indices of output latitudes [t0, t0 + tc), relative to input row <paramref name="first"/>.</summary>
    private torch.Tensor BandIndex(SpectralPsi spectra, int t0, int tc, int first)
    {
        torch.Tensor index = spectra.BandIndex.narrow(0, (long)t0 * _bandWidth, (long)tc * _bandWidth);
        if (first == 0)
        {
            return index;
        }

        using TorchSharp.Scalar offset = ((long)first).ToScalar();
        return index.sub(offset);
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
        (int)Math.Clamp(_chunkBudgetBytes / Math.Max(bytesPerLatitude, 1), 1, Psi.NLatOut);

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
        torch.Tensor? unfoldIndex = null;
        if (psi.LonStride > 1)
        {
            // Bin f of the zero-interleaved spectrum is bin g = f mod NLonOut of z's full spectrum: stored by rfft for
            // g ≤ NLonOut/2, otherwise the conjugate of bin NLonOut − g, which sits after the stored bins in [Z, conj Z].
            int wo = psi.NLonOut, storedOut = (wo / 2) + 1;
            long[] unfold = new long[(wi / 2) + 1];
            for (int f = 0; f < unfold.Length; f++)
            {
                int g = f % wo;
                unfold[f] = g <= wo / 2 ? g : storedOut + (wo - g);
            }

            unfoldIndex = torch.tensor(unfold, dtype: torch.ScalarType.Int64).to(device).DetachFromDisposeScope();
        }

        return new SpectralPsi(psiHat.DetachFromDisposeScope(), bandIndex.DetachFromDisposeScope(), unfoldIndex);
    }

    /// <summary>
    /// Device- and dtype-specific cached data: psi band spectra [K, NLatOut, W, NLonIn/2+1], the band row index
    /// [NLatOut·W] and, when s &gt; 1, the spectral unfold index [NLonIn/2+1] of the adjoint.
    /// </summary>
    private sealed class SpectralPsi(torch.Tensor psiHat, torch.Tensor bandIndex, torch.Tensor? unfoldIndex) : IDisposable
    {
        public torch.Tensor PsiHat { get; } = psiHat;

        public torch.Tensor BandIndex { get; } = bandIndex;

        public torch.Tensor? UnfoldIndex { get; } = unfoldIndex;

        public void Dispose()
        {
            PsiHat.Dispose();
            BandIndex.Dispose();
            UnfoldIndex?.Dispose();
        }
    }
}

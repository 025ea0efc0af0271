using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Disco.Geo.Sphere.Psi;
using TorchSharp;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// The contraction as a hand-written C# kernel on CPU tensors (see <see cref="CpuDiscoKernel"/>), wrapped as TorchSharp
/// autograd functions whose backward is the other direction.
/// <para>
/// Forward layout: per (batch, channel) and input row i, a phase-split, periodically extended copy
/// <c>xext[i][r][j] = x[i, (s·j + r) mod NLonIn]</c>, j &lt; J, so that <c>x[i, (p + s·q) mod NLonIn] = xext[i][p mod s][p div s + q]</c>
/// is a contiguous run over q with no modulo, even when s &gt; 1. Adjoint layout: per (batch, channel) and z row (k, t),
/// a periodically extended copy <c>zz[k,t][m] = z[k,t, m mod NLonOut]</c>; then
/// <c>x[i, s·j + r] = Σ ψ[k,t,i,p] · zz[k,t][NLonOut − p div s + j]</c> over the entries with p mod s = r, which is the same
/// gather-style kernel over a transposed CSR (rows (i, r)), so no two threads ever write the same output.
/// </para>
/// <para>
/// Work is parallel over (batch·channel) when there are enough of them to keep every core busy (each worker builds
/// the extended buffer of its own channel, which then stays in cache), otherwise over chunks of output rows.
/// </para>
/// </summary>
internal sealed unsafe class CpuDiscoContraction : IDiscoContraction, IContractionKernels, IFusedContraction
{
    // At most one worker per core: each worker owns a per-channel buffer, and the thread pool would otherwise inject
    // extra threads (each with its own buffer) whenever the machine is busy.
    private static readonly ParallelOptions Workers = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    private readonly int _kernelSize;
    private readonly int _nlatOut;
    private readonly int _nlonOut;
    private readonly int _nlatIn;
    private readonly int _nlonIn;
    private readonly int _stride;
    private readonly int _rowLength;
    private readonly ShiftedRowPlan _forward;
    private readonly ShiftedRowPlan _adjoint;
    private readonly bool _allowVector512;

    // Per output latitude t, the input rows [BandFrom[t], BandTo[t]) that the forward entries of rows (k, t) read.
    private readonly int[] _bandFrom;
    private readonly int[] _bandTo;

    /// <param name="psi">The psi to contract with.</param>
    /// <param name="allowVector512">False forces the Vector256 kernels even on AVX-512 hardware (tests run both paths).</param>
    public CpuDiscoContraction(PsiTensor psi, bool allowVector512 = true)
    {
        _allowVector512 = allowVector512;
        ContractionValidation.CheckPsi(psi);
        Psi = psi;
        _kernelSize = psi.KernelSize;
        _nlatOut = psi.NLatOut;
        _nlonOut = psi.NLonOut;
        _nlatIn = psi.NLatIn;
        _nlonIn = psi.NLonIn;
        _stride = psi.LonStride;
        // Forward reads xext[..][p div s + q] up to index 2·NLonOut − 2; the adjoint reads zz[..][NLonOut − p div s + q] up
        // to 2·NLonOut − 1. Rows narrower than a vector read one full vector, hence the 64-element floor (≥ any vector).
        _rowLength = RoundUp(_nlonOut + Math.Max(_nlonOut, 64), 16);
        long forwardSource = (long)_nlatIn * _stride * _rowLength;
        long adjointSource = (long)_kernelSize * _nlatOut * _rowLength;
        if (Math.Max(forwardSource, adjointSource) > int.MaxValue)
        {
            throw new ArgumentException(
                $"A {_nlatIn}×{_nlonIn} → {_nlatOut}×{_nlonOut} contraction with K = {_kernelSize} is too large for the CpuKernel " +
                "backend's 32-bit offsets: use ContractionBackend.TensorOps.", nameof(psi));
        }

        (_forward, _adjoint) = BuildPlans(psi);
        (_bandFrom, _bandTo) = InputBands();
    }

    public PsiTensor Psi { get; }

    /// <summary>
    /// Size of the K-expanded block the fused forward keeps in cache (about half of a 1–2 MB L2); tests shrink it to run
    /// many blocks per call.
    /// </summary>
    internal int FusedBlockBytes { get; init; } = 512 * 1024;

    public ContractionBackend Backend => ContractionBackend.CpuKernel;

    /// <summary>Non-zero entries the kernel processes per (batch, channel) and output longitude.</summary>
    public int KernelEntries => _forward.EntryCount;

    public torch.Tensor Contract(torch.Tensor x)
    {
        ContractionValidation.CheckContractInput(Psi, x, cpuOnly: true);
        return DiscoContractFunction.apply(x, this);
    }

    public torch.Tensor ContractAdjoint(torch.Tensor z)
    {
        ContractionValidation.CheckAdjointInput(Psi, z, cpuOnly: true);
        return DiscoContractAdjointFunction.apply(z, this);
    }

    public void Dispose()
    {
        // Everything is managed memory; nothing to release.
    }

    /// <summary>The forward contraction without autograd; x is a validated CPU tensor.</summary>
    public torch.Tensor ContractNoGrad(torch.Tensor x)
    {
        using torch.Tensor input = x.contiguous();
        long[] shape = x.shape;
        torch.Tensor z = KernelWorkspace.EmptyTensor([shape[0], shape[1], _kernelSize, _nlatOut, _nlonOut], x.dtype);
        int channels = checked((int)(shape[0] * shape[1]));
        if (x.dtype == torch.ScalarType.Float32)
        {
            RunForward(TensorData.Pointer<float>(input), TensorData.Pointer<float>(z), channels);
        }
        else
        {
            RunForward(TensorData.Pointer<double>(input), TensorData.Pointer<double>(z), channels);
        }

        GC.KeepAlive(input);
        return z;
    }

    /// <summary>The adjoint contraction without autograd; z is a validated CPU tensor.</summary>
    public torch.Tensor ContractAdjointNoGrad(torch.Tensor z)
    {
        using torch.Tensor input = z.contiguous();
        long[] shape = z.shape;
        torch.Tensor x = KernelWorkspace.EmptyTensor([shape[0], shape[1], _nlatIn, _nlonIn], z.dtype);
        int channels = checked((int)(shape[0] * shape[1]));
        if (z.dtype == torch.ScalarType.Float32)
        {
            RunAdjoint(TensorData.Pointer<float>(input), TensorData.Pointer<float>(x), channels);
        }
        else
        {
            RunAdjoint(TensorData.Pointer<double>(input), TensorData.Pointer<double>(x), channels);
        }

        GC.KeepAlive(input);
        return x;
    }

    /// <inheritdoc/>
    public torch.Tensor? TryContractAndMix(torch.Tensor x, torch.Tensor weight)
    {
        if (x.device_type != DeviceType.CPU || weight.device_type != DeviceType.CPU)
        {
            return null;
        }

        return ContractAndMixNoGrad(x, weight);
    }

    /// <inheritdoc/>
    public torch.Tensor? TryContractAndMixDifferentiable(torch.Tensor x, torch.Tensor weight)
    {
        if (x.device_type != DeviceType.CPU || weight.device_type != DeviceType.CPU)
        {
            return null;
        }

        CheckMixingWeight(x, weight);
        return DiscoConvFunction.apply(x, weight, this);
    }

    /// <summary>The fused forward without autograd: y [B, Cout, Ho, Wo] = weight · contract(x).</summary>
    public torch.Tensor ContractAndMixNoGrad(torch.Tensor x, torch.Tensor weight) => ContractAndMix(x, weight, keepContraction: false).Output;

    /// <summary>
    /// The fused forward for training: y and the K-expanded contraction z [B, Cin, K, Ho, Wo] (written straight from the
    /// block being mixed), which the backward needs for the weight gradient. z lives in workspace memory until the
    /// returned object is disposed (by the backward; its finaliser if no backward runs).
    /// </summary>
    public (torch.Tensor Output, KeptContraction Contraction) ContractAndMixKeeping(torch.Tensor x, torch.Tensor weight)
    {
        (torch.Tensor y, KeptContraction? kept) = ContractAndMix(x, weight, keepContraction: true);
        return (y, kept!);
    }

    /// <summary>
    /// The fused convolution's backward without autograd: dx = contractᵀ(weightᵀ · dy) and dweight[o,c,k] =
    /// Σ_{b,t,q} dy[b,o,t,q] · z[b,c,k,t,q]. dy is made contiguous once for both; the K-expanded dz lives in workspace
    /// memory for the duration of the call only. A z already released (a second backward through the same graph) is
    /// recomputed from x.
    /// </summary>
    public (torch.Tensor InputGradient, torch.Tensor WeightGradient) BackwardNoGrad(torch.Tensor x, torch.Tensor weight, torch.Tensor outputGradient, KeptContraction kept)
    {
        using torch.Tensor dy = outputGradient.detach().contiguous();
        using torch.Tensor transposed = weight.detach().reshape(weight.shape[0], -1).t().contiguous();
        int batch = checked((int)dy.shape[0]), outChannels = checked((int)weight.shape[0]), inChannels = checked((int)weight.shape[1]);
        torch.Tensor dx = KernelWorkspace.EmptyTensor([batch, inChannels, _nlatIn, _nlonIn], dy.dtype);
        torch.Tensor dw = torch.zeros([outChannels, inChannels, _kernelSize], dtype: dy.dtype, device: torch.CPU);
        KernelWorkspace.Lease recomputed = default;
        try
        {
            nint z = kept.Address;
            if (z == 0)
            {
                using torch.Tensor input = x.detach().contiguous();
                recomputed = ContractIntoWorkspace(input, batch * inChannels);
                z = recomputed.Address;
            }

            if (dy.dtype == torch.ScalarType.Float32)
            {
                RunMixWeightGradient(TensorData.Pointer<float>(dy), (float*)z, TensorData.Pointer<float>(dw), batch, outChannels, inChannels * _kernelSize);
                InputGradient(TensorData.Pointer<float>(transposed), TensorData.Pointer<float>(dy), TensorData.Pointer<float>(dx), batch, inChannels, outChannels);
            }
            else
            {
                RunMixWeightGradient(TensorData.Pointer<double>(dy), (double*)z, TensorData.Pointer<double>(dw), batch, outChannels, inChannels * _kernelSize);
                InputGradient(TensorData.Pointer<double>(transposed), TensorData.Pointer<double>(dy), TensorData.Pointer<double>(dx), batch, inChannels, outChannels);
            }
        }
        finally
        {
            recomputed.Dispose();
            kept.Dispose();
        }

        GC.KeepAlive(dy);
        GC.KeepAlive(transposed);
        return (dx, dw);
    }

    /// <summary>The weight-gradient half of <see cref="BackwardNoGrad"/> alone, float32 (the kernel probe times it).</summary>
    internal torch.Tensor WeightGradientNoGrad(torch.Tensor outputGradient, KeptContraction kept, int inChannels)
    {
        if (outputGradient.dtype != torch.ScalarType.Float32 || kept.Address == 0)
        {
            throw new ArgumentException("The weight gradient alone takes a float32 output gradient and a z not yet released.");
        }

        using torch.Tensor dy = outputGradient.contiguous();
        int batch = checked((int)dy.shape[0]), outChannels = checked((int)dy.shape[1]);
        torch.Tensor dw = torch.zeros([outChannels, inChannels, _kernelSize], dtype: torch.ScalarType.Float32, device: torch.CPU);
        RunMixWeightGradient(TensorData.Pointer<float>(dy), (float*)kept.Address, TensorData.Pointer<float>(dw), batch, outChannels, inChannels * _kernelSize);
        GC.KeepAlive(kept);
        return dw;
    }

    /// <summary>The input-gradient half of <see cref="BackwardNoGrad"/> alone, float32 (the kernel probe times it).</summary>
    internal torch.Tensor InputGradientNoGrad(torch.Tensor weight, torch.Tensor outputGradient)
    {
        if (outputGradient.dtype != torch.ScalarType.Float32)
        {
            throw new ArgumentException("The input gradient alone takes a float32 output gradient.");
        }

        using torch.Tensor dy = outputGradient.contiguous();
        using torch.Tensor transposed = weight.reshape(weight.shape[0], -1).t().contiguous();
        int batch = checked((int)dy.shape[0]), outChannels = checked((int)weight.shape[0]), inChannels = checked((int)weight.shape[1]);
        torch.Tensor dx = KernelWorkspace.EmptyTensor([batch, inChannels, _nlatIn, _nlonIn], dy.dtype);
        InputGradient(TensorData.Pointer<float>(transposed), TensorData.Pointer<float>(dy), TensorData.Pointer<float>(dx), batch, inChannels, outChannels);
        GC.KeepAlive(dy);
        GC.KeepAlive(transposed);
        return dx;
    }

    private KernelWorkspace.Lease ContractIntoWorkspace(torch.Tensor input, int channels)
    {
        long length = (long)channels * _kernelSize * _nlatOut * _nlonOut;
        if (input.dtype == torch.ScalarType.Float32)
        {
            KernelWorkspace.Lease lease = KernelWorkspace.Rent<float>(length);
            RunForward(TensorData.Pointer<float>(input), lease.Pointer<float>(), channels);
            return lease;
        }
        else
        {
            KernelWorkspace.Lease lease = KernelWorkspace.Rent<double>(length);
            RunForward(TensorData.Pointer<double>(input), lease.Pointer<double>(), channels);
            return lease;
        }
    }

    private (torch.Tensor Output, KeptContraction? Kept) ContractAndMix(torch.Tensor x, torch.Tensor weight, bool keepContraction)
    {
        CheckMixingWeight(x, weight);
        long[] shape = x.shape;
        int batch = checked((int)shape[0]), inChannels = checked((int)shape[1]), outChannels = checked((int)weight.shape[0]);

        torch.Tensor y = KernelWorkspace.EmptyTensor([batch, outChannels, _nlatOut, _nlonOut], x.dtype);
        using torch.Tensor input = x.detach().contiguous();
        using torch.Tensor w = weight.detach().contiguous();
        long zLength = (long)batch * inChannels * _kernelSize * _nlatOut * _nlonOut;
        KeptContraction? kept = null;
        if (x.dtype == torch.ScalarType.Float32)
        {
            kept = keepContraction ? new KeptContraction(KernelWorkspace.Rent<float>(zLength)) : null;
            ContractThenMix(TensorData.Pointer<float>(input), TensorData.Pointer<float>(w), TensorData.Pointer<float>(y), kept is null ? null : (float*)kept.Address, batch, inChannels, outChannels);
        }
        else
        {
            kept = keepContraction ? new KeptContraction(KernelWorkspace.Rent<double>(zLength)) : null;
            ContractThenMix(TensorData.Pointer<double>(input), TensorData.Pointer<double>(w), TensorData.Pointer<double>(y), kept is null ? null : (double*)kept.Address, batch, inChannels, outChannels);
        }

        GC.KeepAlive(input);
        GC.KeepAlive(w);
        return (y, kept);
    }

    private void InputGradient<T>(T* transposedWeight, T* dy, T* dx, int batch, int inChannels, int outChannels)
        where T : unmanaged
    {
        using KernelWorkspace.Lease dz = KernelWorkspace.Rent<T>((long)batch * inChannels * _kernelSize * _nlatOut * _nlonOut);
        RunBlockedMultiply(transposedWeight, inChannels * _kernelSize, outChannels, dy, dz.Pointer<T>(), batch);
        RunAdjoint(dz.Pointer<T>(), dx, batch * inChannels);
    }

    private void CheckMixingWeight(torch.Tensor x, torch.Tensor weight)
    {
        ContractionValidation.CheckContractInput(Psi, x, cpuOnly: true);
        if (weight.dim() != 3 || weight.shape[1] != x.shape[1] || weight.shape[2] != _kernelSize || weight.dtype != x.dtype)
        {
            throw new ArgumentException(
                $"The mixing weight must be [Cout, {x.shape[1]}, {_kernelSize}] of {x.dtype}, got [{string.Join(", ", weight.shape)}] of {weight.dtype}.", nameof(weight));
        }
    }

    /// <summary>
    /// Whether the forward contracts and mixes block by block of output rows (the K-expanded block stays in cache) instead
    /// of contracting every channel whole and then mixing. The blocked form rebuilds each channel's input band for every
    /// block. On by default: measured with disco-kernel-probe (blocks, noblocks, blocksz, noblocksz) on 2026-12-07 (evening), AMD EPYC
    /// Zen 4, it is 20–35 % faster without keeping z on every layer shape tried (64 → 64, K = 4: 181×360 → 181×360 20 vs
    /// 27 ms, 361×720 → 361×720 73 vs 95 ms; 16 → 16, K = 2: 1.7 vs 2.3 and 7.3 vs 10.6 ms), on the Vector512 and the
    /// Vector256 path alike, and on par when it keeps z. (An earlier build, on a Zen 5, measured it 3× slower on
    /// same-resolution layers; that form is kept for tests and the probe.)
    /// </summary>
    internal bool UseFusedBlocks { get; init; } = true;

    private void ContractThenMix<T>(T* x, T* weight, T* y, T* z, int batch, int inChannels, int outChannels)
        where T : unmanaged
    {
        if (UseFusedBlocks)
        {
            RunFused(x, weight, y, z, batch, inChannels, outChannels);
            return;
        }

        int mCount = inChannels * _kernelSize;
        long plane = (long)_nlatOut * _nlonOut;
        if (z is not null)
        {
            RunForward(x, z, batch * inChannels);
            RunBlockedMultiply(weight, outChannels, mCount, z, y, batch);
            return;
        }

        using KernelWorkspace.Lease scratch = KernelWorkspace.Rent<T>(batch * mCount * plane);
        RunForward(x, scratch.Pointer<T>(), batch * inChannels);
        RunBlockedMultiply(weight, outChannels, mCount, scratch.Pointer<T>(), y, batch);
    }

    private void RunBlockedMultiply<T>(T* a, int rows, int inner, T* source, T* c, int batch)
        where T : unmanaged => CpuBatchedProducts.Multiply(a, rows, inner, source, c, batch, _nlatOut * _nlonOut, _allowVector512);

    private void RunMixWeightGradient<T>(T* dy, T* z, T* dw, int batch, int outChannels, int mCount)
        where T : unmanaged => CpuBatchedProducts.MultiplyTransposedSum(dy, outChannels, z, mCount, dw, batch, _nlatOut * _nlonOut, _allowVector512);

    // The fused forward: per block of output latitudes, the K-expanded contraction of every input channel goes into a
    // cache-sized buffer (each channel's band of input rows rebuilt there first), and the mixing reads it back at
    // once, so the [B, Cin, K, Ho, Wo] intermediate never reaches memory. Blocks are independent (each writes its own
    // output rows of every output channel), so the cores share them dynamically; polar rows cost more.
    private void RunFused<T>(T* x, T* weight, T* y, T* z, int batch, int inChannels, int outChannels)
        where T : unmanaged
    {
        int mCount = inChannels * _kernelSize;
        int rowsPerBlock = (int)Math.Clamp(FusedBlockBytes / Math.Max(1L, (long)mCount * _nlonOut * sizeof(T)), 1, _nlatOut);
        int blocks = (_nlatOut + rowsPerBlock - 1) / rowsPerBlock;
        int ldz = rowsPerBlock * _nlonOut;
        int bandRows = 0;
        for (int block = 0; block < blocks; block++)
        {
            (int from, int to) = BlockBand(block * rowsPerBlock, Math.Min(_nlatOut, (block + 1) * rowsPerBlock));
            bandRows = Math.Max(bandRows, to - from);
        }

        long zLength = (long)mCount * ldz;
        long bandLength = (long)Math.Max(1, bandRows) * _stride * _rowLength;
        long inputPerBatch = (long)inChannels * _nlatIn * _nlonIn;
        long outputPerBatch = (long)outChannels * _nlatOut * _nlonOut;
        long plane = (long)_nlatOut * _nlonOut;
        nint xAddress = (nint)x, wAddress = (nint)weight, yAddress = (nint)y, zAddress = (nint)z;
        Parallel.For(
            0,
            batch * blocks,
            Workers,
            () => KernelWorkspace.Rent<T>(zLength + bandLength),
            (index, _, lease) =>
            {
                nint buffer = lease.Address;
                int b = index / blocks, block = index % blocks;
                int t0 = block * rowsPerBlock, t1 = Math.Min(_nlatOut, t0 + rowsPerBlock);
                // With a z to keep, the block is contracted straight into it (and mixed from there while in cache).
                T* zBlock = zAddress == 0 ? (T*)buffer : (T*)zAddress + (b * mCount * plane) + ((long)t0 * _nlonOut);
                FusedBlock(
                    (T*)xAddress + (b * inputPerBatch), (T*)wAddress, inChannels, outChannels, (T*)yAddress + (b * outputPerBatch), t0, t1, zBlock,
                    zAddress == 0 ? ldz : (int)plane, (T*)buffer + zLength);
                return lease;
            },
            lease => lease.Dispose());
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FusedBlock<T>(T* x, T* weight, int inChannels, int outChannels, T* y, int t0, int t1, T* zBlock, int ldz, T* band)
        where T : unmanaged
    {
        int* starts = _forward.RowStartsPointer;
        int* offsets = _forward.OffsetsPointer;
        T* values = _forward.ValuesPointer<T>();
        (int bandFrom, int bandTo) = BlockBand(t0, t1);

        // The band buffer stands in for rows [bandFrom, bandTo) of a whole-channel source, so the plan's offsets apply
        // unchanged to this shifted base (only addresses inside the band are ever read).
        T* source = band - ((long)bandFrom * _stride * _rowLength);
        long inputPerChannel = (long)_nlatIn * _nlonIn;
        for (int c = 0; c < inChannels; c++)
        {
            BuildForwardSource(x + (c * inputPerChannel), source, bandFrom, bandTo);
            for (int k = 0; k < _kernelSize; k++)
            {
                T* zRow = zBlock + ((long)((c * _kernelSize) + k) * ldz);
                for (int t = t0; t < t1; t++)
                {
                    int row = (k * _nlatOut) + t;
                    int start = starts[row];
                    CpuDiscoKernel.CorrelateRow(source, offsets + start, values + start, starts[row + 1] - start, zRow + ((t - t0) * _nlonOut), _nlonOut, _allowVector512);
                }
            }
        }

        CpuMixKernel.Multiply(
            weight, outChannels, inChannels * _kernelSize, zBlock, ldz, (t1 - t0) * _nlonOut, y + ((long)t0 * _nlonOut), _nlatOut * _nlonOut, _allowVector512);
    }

    /// <summary>Input rows read by output latitudes [t0, t1); an empty range when none of their rows has an entry.</summary>
    private (int From, int To) BlockBand(int t0, int t1)
    {
        int from = int.MaxValue, to = int.MinValue;
        for (int t = t0; t < t1; t++)
        {
            if (_bandTo[t] > _bandFrom[t])
            {
                from = Math.Min(from, _bandFrom[t]);
                to = Math.Max(to, _bandTo[t]);
            }
        }

        return from < to ? (from, to) : (0, 0);
    }

    private (int[] From, int[] To) InputBands()
    {
        int[] from = new int[_nlatOut], to = new int[_nlatOut];
        Array.Fill(from, int.MaxValue);
        int rowSpan = _stride * _rowLength;
        for (int row = 0; row < _forward.RowCount; row++)
        {
            int t = row % _nlatOut;
            for (int n = _forward.RowStarts[row]; n < _forward.RowStarts[row + 1]; n++)
            {
                int i = _forward.Offsets[n] / rowSpan;
                from[t] = Math.Min(from[t], i);
                to[t] = Math.Max(to[t], i + 1);
            }
        }

        for (int t = 0; t < _nlatOut; t++)
        {
            if (from[t] == int.MaxValue)
            {
                from[t] = 0;
            }
        }

        return (from, to);
    }

    private void RunForward<T>(T* x, T* z, int channels)
        where T : unmanaged
    {
        long inputPerChannel = (long)_nlatIn * _nlonIn;
        long outputPerChannel = (long)_kernelSize * _nlatOut * _nlonOut;
        long sourceLength = (long)_nlatIn * _stride * _rowLength;
        nint xAddress = (nint)x, zAddress = (nint)z;
        int workers = Environment.ProcessorCount;

        if (channels >= 4 * workers)
        {
            Parallel.For(
                0,
                channels,
                Workers,
                () => KernelWorkspace.Rent<T>(sourceLength),
                (channel, _, lease) =>
                {
                    BuildForwardSource((T*)xAddress + (channel * inputPerChannel), lease.Pointer<T>(), 0, _nlatIn);
                    ForwardRows(lease.Pointer<T>(), (T*)zAddress + (channel * outputPerChannel), 0, _nlatOut);
                    return lease;
                },
                lease => lease.Dispose());
            return;
        }

        // Few channels: split each channel's rows across the cores instead.
        using KernelWorkspace.Lease sourceLease = KernelWorkspace.Rent<T>(sourceLength);
        nint source = sourceLease.Address;
        for (int channel = 0; channel < channels; channel++)
        {
            T* input = x + (channel * inputPerChannel);
            T* output = z + (channel * outputPerChannel);
            nint inputAddress = (nint)input, outputAddress = (nint)output;
            int buildChunks = Math.Min(_nlatIn, 4 * workers);
            Parallel.For(0, buildChunks, Workers, chunk =>
            {
                (int from, int to) = ChunkRange(_nlatIn, buildChunks, chunk);
                BuildForwardSource((T*)inputAddress, (T*)source, from, to);
            });
            int rowChunks = Math.Min(_nlatOut, 8 * workers);
            Parallel.For(0, rowChunks, Workers, chunk =>
            {
                (int from, int to) = ChunkRange(_nlatOut, rowChunks, chunk);
                ForwardRows((T*)source, (T*)outputAddress, from, to);
            });
        }
    }

    private void RunAdjoint<T>(T* z, T* x, int channels)
        where T : unmanaged
    {
        long inputPerChannel = (long)_kernelSize * _nlatOut * _nlonOut;
        long outputPerChannel = (long)_nlatIn * _nlonIn;
        int zRows = _kernelSize * _nlatOut;
        long sourceLength = (long)zRows * _rowLength;
        long scratchLength = (long)_stride * _nlonOut;
        nint zAddress = (nint)z, xAddress = (nint)x;
        int workers = Environment.ProcessorCount;

        if (channels >= 4 * workers)
        {
            Parallel.For(
                0,
                channels,
                Workers,
                () => KernelWorkspace.Rent<T>(sourceLength + scratchLength),
                (channel, _, lease) =>
                {
                    T* source = lease.Pointer<T>();
                    BuildAdjointSource((T*)zAddress + (channel * inputPerChannel), source, 0, zRows);
                    AdjointRows(source, (T*)xAddress + (channel * outputPerChannel), 0, _nlatIn, source + sourceLength);
                    return lease;
                },
                lease => lease.Dispose());
            return;
        }

        using KernelWorkspace.Lease sourceLease = KernelWorkspace.Rent<T>(sourceLength);
        nint sourceBuffer = sourceLease.Address;
        for (int channel = 0; channel < channels; channel++)
        {
            nint inputAddress = (nint)(z + (channel * inputPerChannel));
            nint outputAddress = (nint)(x + (channel * outputPerChannel));
            int buildChunks = Math.Min(zRows, 4 * workers);
            Parallel.For(0, buildChunks, Workers, chunk =>
            {
                (int from, int to) = ChunkRange(zRows, buildChunks, chunk);
                BuildAdjointSource((T*)inputAddress, (T*)sourceBuffer, from, to);
            });
            int rowChunks = Math.Min(_nlatIn, 8 * workers);
            Parallel.For(
                0,
                rowChunks,
                Workers,
                () => KernelWorkspace.Rent<T>(scratchLength),
                (chunk, _, scratch) =>
                {
                    (int from, int to) = ChunkRange(_nlatIn, rowChunks, chunk);
                    AdjointRows((T*)sourceBuffer, (T*)outputAddress, from, to, scratch.Pointer<T>());
                    return scratch;
                },
                scratch => scratch.Dispose());
        }
    }

    /// <summary>xext[i][r][j] = x[i, (s·j + r) mod NLonIn] for input rows [from, to) of one channel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BuildForwardSource<T>(T* x, T* source, int from, int to)
        where T : unmanaged
    {
        int s = _stride, wo = _nlonOut;
        for (int i = from; i < to; i++)
        {
            T* row = x + ((long)i * _nlonIn);
            T* target = source + ((long)i * s * _rowLength);
            if (s == 1)
            {
                new Span<T>(row, wo).CopyTo(new Span<T>(target, wo));
            }
            else if (s == 2)
            {
                PhaseSplit.Pairs(row, target, target + _rowLength, wo);
            }
            else
            {
                // One contiguous pass over the input row, writing s phase streams.
                for (int j = 0; j < wo; j++)
                {
                    for (int r = 0; r < s; r++)
                    {
                        target[(r * _rowLength) + j] = row[(s * j) + r];
                    }
                }
            }

            for (int r = 0; r < s; r++)
            {
                ExtendPeriodically(target + (r * _rowLength), wo, _rowLength);
            }
        }
    }

    /// <summary>zz[row][m] = z[row, m mod NLonOut] for z rows [from, to) of one channel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BuildAdjointSource<T>(T* z, T* source, int from, int to)
        where T : unmanaged
    {
        for (int row = from; row < to; row++)
        {
            T* target = source + ((long)row * _rowLength);
            new Span<T>(z + ((long)row * _nlonOut), _nlonOut).CopyTo(new Span<T>(target, _nlonOut));
            ExtendPeriodically(target, _nlonOut, _rowLength);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ForwardRows<T>(T* source, T* z, int fromLatitude, int toLatitude)
        where T : unmanaged
    {
        int* starts = _forward.RowStartsPointer;
        int* offsets = _forward.OffsetsPointer;
        T* values = _forward.ValuesPointer<T>();

        // Latitude-major, so the K rows of one output latitude reuse the same input band while it is in cache.
        for (int t = fromLatitude; t < toLatitude; t++)
        {
            for (int k = 0; k < _kernelSize; k++)
            {
                int row = (k * _nlatOut) + t;
                int start = starts[row];
                CpuDiscoKernel.CorrelateRow(source, offsets + start, values + start, starts[row + 1] - start, z + ((long)row * _nlonOut), _nlonOut, _allowVector512);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AdjointRows<T>(T* source, T* x, int fromLatitude, int toLatitude, T* scratch)
        where T : unmanaged
    {
        int* starts = _adjoint.RowStartsPointer;
        int* offsets = _adjoint.OffsetsPointer;
        T* values = _adjoint.ValuesPointer<T>();
        int s = _stride, wo = _nlonOut;
        for (int i = fromLatitude; i < toLatitude; i++)
        {
            T* output = x + ((long)i * _nlonIn);
            for (int r = 0; r < s; r++)
            {
                int row = (i * s) + r;
                int start = starts[row];
                CpuDiscoKernel.CorrelateRow(source, offsets + start, values + start, starts[row + 1] - start, s == 1 ? output : scratch + (r * wo), wo, _allowVector512);
            }

            if (s > 1)
            {
                // Phase r of output longitude s·j + r was computed as scratch[r][j]: interleave the phases back.
                for (int j = 0; j < wo; j++)
                {
                    for (int r = 0; r < s; r++)
                    {
                        output[(s * j) + r] = scratch[(r * wo) + j];
                    }
                }
            }
        }
    }

    /// <summary>Fills row[period..length) with row[m mod period], copying whole periods at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ExtendPeriodically<T>(T* row, int period, int length)
        where T : unmanaged
    {
        for (int filled = period; filled < length;)
        {
            int count = Math.Min(filled, length - filled);
            new Span<T>(row, count).CopyTo(new Span<T>(row + filled, count));
            filled += count;
        }
    }

    private (ShiftedRowPlan Forward, ShiftedRowPlan Adjoint) BuildPlans(PsiTensor psi)
    {
        int count = 0;
        foreach (double value in psi.Values)
        {
            if (value != 0)
            {
                count++;
            }
        }

        int[] forwardRows = new int[count], forwardOffsets = new int[count];
        int[] adjointRows = new int[count], adjointOffsets = new int[count];
        double[] values = new double[count];
        int n = 0;
        for (int row = 0; row < psi.RowCount; row++)
        {
            for (int e = psi.RowOffsets[row]; e < psi.RowOffsets[row + 1]; e++)
            {
                // Exact zeros (torch-harmonics stores points on a hat edge) contribute nothing: skip them once, here.
                if (psi.Values[e] == 0)
                {
                    continue;
                }

                int i = psi.Columns[e] / _nlonIn, p = psi.Columns[e] % _nlonIn;
                int phase = p % _stride, start = p / _stride;
                forwardRows[n] = row;
                forwardOffsets[n] = (((i * _stride) + phase) * _rowLength) + start;
                adjointRows[n] = (i * _stride) + phase;
                adjointOffsets[n] = (row * _rowLength) + _nlonOut - start;
                values[n] = psi.Values[e];
                n++;
            }
        }

        return (
            ShiftedRowPlan.FromTriples(psi.RowCount, forwardRows, forwardOffsets, values),
            ShiftedRowPlan.FromTriples(_nlatIn * _stride, adjointRows, adjointOffsets, values));
    }

    private static (int From, int To) ChunkRange(int total, int chunks, int chunk) =>
        ((int)((long)total * chunk / chunks), (int)((long)total * (chunk + 1) / chunks));

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}

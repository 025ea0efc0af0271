using Disco.Geo.Sphere.Psi;
using TorchSharp;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>Argument checks shared by the backends; every failure names the parameter and says how to fix it.</summary>
internal static class ContractionValidation
{
    /// <summary>
    /// Checks the CSR structure of psi. The CPU kernel indexes memory with these numbers without bounds checks,
    /// so a malformed psi must be rejected here rather than corrupt memory later.
    /// </summary>
    public static void CheckPsi(PsiTensor psi)
    {
        ArgumentNullException.ThrowIfNull(psi);
        if (psi.NLonIn % psi.NLonOut != 0)
        {
            throw new ArgumentException(
                $"psi maps nlon_in = {psi.NLonIn} to nlon_out = {psi.NLonOut}, but nlon_in must be a multiple of nlon_out: " +
                "choose an output grid whose longitude count divides the input's (use a transposed convolution to upsample).",
                nameof(psi));
        }

        int[] offsets = psi.RowOffsets;
        if (offsets.Length != psi.RowCount + 1 || offsets[0] != 0 || offsets[^1] != psi.Columns.Length || psi.Values.Length != psi.Columns.Length)
        {
            throw new ArgumentException("psi's CSR arrays are inconsistent: rebuild it with the psi builder.", nameof(psi));
        }

        for (int row = 0; row < psi.RowCount; row++)
        {
            if (offsets[row + 1] < offsets[row])
            {
                throw new ArgumentException($"psi's row offsets decrease at row {row}: rebuild it with the psi builder.", nameof(psi));
            }
        }

        long columnCount = (long)psi.NLatIn * psi.NLonIn;
        int[] columns = psi.Columns;
        for (int n = 0; n < columns.Length; n++)
        {
            if (columns[n] < 0 || columns[n] >= columnCount)
            {
                throw new ArgumentException(
                    $"psi entry {n} has column {columns[n]}, outside [0, nlat_in·nlon_in = {columnCount}): rebuild it with the psi builder.",
                    nameof(psi));
            }
        }
    }

    /// <summary>Checks x [B, C, NLatIn, NLonIn] for <see cref="IDiscoContraction.Contract"/>.</summary>
    public static void CheckContractInput(PsiTensor psi, torch.Tensor x, bool cpuOnly)
    {
        CheckTensor(x, "x", [psi.NLatIn, psi.NLonIn], "[batch, channels, nlat_in, nlon_in]", cpuOnly);
    }

    /// <summary>Checks z [B, C, K, NLatOut, NLonOut] for <see cref="IDiscoContraction.ContractAdjoint"/>.</summary>
    public static void CheckAdjointInput(PsiTensor psi, torch.Tensor z, bool cpuOnly)
    {
        CheckTensor(z, "z", [psi.KernelSize, psi.NLatOut, psi.NLonOut], "[batch, channels, kernel_size, nlat_out, nlon_out]", cpuOnly);
    }

    private static void CheckTensor(torch.Tensor tensor, string name, long[] trailing, string layout, bool cpuOnly)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        long[] shape = tensor.shape;
        string expected = $"[B, C, {string.Join(", ", trailing)}]";
        int rank = trailing.Length + 2;
        if (shape.Length != rank)
        {
            string hint = shape.Length == rank - 1 ? " Add the missing batch dimension with unsqueeze(0)." : string.Empty;
            throw new ArgumentException(
                $"{name} must have rank {rank} {layout} = {expected}, but has rank {shape.Length} {Format(shape)}.{hint}", name);
        }

        for (int d = 0; d < trailing.Length; d++)
        {
            if (shape[d + 2] != trailing[d])
            {
                throw new ArgumentException(
                    $"{name} has shape {Format(shape)}, but this psi needs {layout} = {expected}: resample {name} to the psi's grid " +
                    "or build psi for this grid.", name);
            }
        }

        if (shape[0] < 1 || shape[1] < 1)
        {
            throw new ArgumentException($"{name} has shape {Format(shape)}: batch and channel counts must be at least 1.", name);
        }

        if (tensor.dtype != torch.ScalarType.Float32 && tensor.dtype != torch.ScalarType.Float64)
        {
            throw new ArgumentException(
                $"{name} has dtype {tensor.dtype}, but the contraction supports float32 and float64 only: convert it with .to(torch.float32).",
                name);
        }

        if (cpuOnly && tensor.device_type != DeviceType.CPU)
        {
            throw new ArgumentException(
                $"{name} is on {tensor.device}, but the CpuKernel backend runs on CPU tensors only: move it with .cpu(), " +
                "or create the contraction with ContractionBackend.TensorOps or Auto.", name);
        }
    }

    private static string Format(long[] shape) => "[" + string.Join(", ", shape) + "]";
}

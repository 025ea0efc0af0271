namespace Disco.Geo.Sphere.Psi;

/// <summary>
/// The sparse DISCO tensor ψ[k, t, i, p] for output longitude 0, in float64, stored as CSR with one row per
/// (basis function k, output latitude t): row r = k·NLatOut + t, column c = i·NLonIn + p.
/// Because longitudes are equispaced, the row for output longitude q is this row shifted by s·q input columns,
/// where s = NLonIn / NLonOut:
/// <code>z[b,c,k,t,q] = Σ_{i,p} ψ[k,t,i,p] · x[b,c,i,(p + s·q) mod NLonIn]</code>
/// Values already include the input quadrature weight (torch-harmonics' merge_quadrature). Like torch-harmonics,
/// explicit zeros (points exactly on a hat-function edge) are kept: they count in the "support" normalisation.
/// A transposed convolution uses the psi of the matching fine → coarse forward convolution and its adjoint.
/// </summary>
internal sealed class PsiTensor
{
    public PsiTensor(int kernelSize, int nlatOut, int nlonOut, int nlatIn, int nlonIn, int[] rowOffsets, int[] columns, double[] values)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(nlatOut, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(nlonOut, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(nlatIn, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(nlonIn, 1);
        if (nlonIn % nlonOut != 0)
        {
            throw new ArgumentException($"nlon_in = {nlonIn} must be a multiple of nlon_out = {nlonOut}.", nameof(nlonOut));
        }

        if (rowOffsets.Length != kernelSize * nlatOut + 1 || rowOffsets[0] != 0 || rowOffsets[^1] != columns.Length)
        {
            throw new ArgumentException("Row offsets do not describe K·NLatOut rows over the given columns.", nameof(rowOffsets));
        }

        if (columns.Length != values.Length)
        {
            throw new ArgumentException("Columns and values differ in length.", nameof(values));
        }

        KernelSize = kernelSize;
        NLatOut = nlatOut;
        NLonOut = nlonOut;
        NLatIn = nlatIn;
        NLonIn = nlonIn;
        RowOffsets = rowOffsets;
        Columns = columns;
        Values = values;
    }

    /// <summary>Number of basis functions K.</summary>
    public int KernelSize { get; }

    /// <summary>Output latitudes (rows per basis function).</summary>
    public int NLatOut { get; }

    /// <summary>Output longitudes.</summary>
    public int NLonOut { get; }

    /// <summary>Input latitudes.</summary>
    public int NLatIn { get; }

    /// <summary>Input longitudes.</summary>
    public int NLonIn { get; }

    /// <summary>Input columns per output column: s = NLonIn / NLonOut.</summary>
    public int LonStride => NLonIn / NLonOut;

    /// <summary>Number of CSR rows, K · NLatOut.</summary>
    public int RowCount => KernelSize * NLatOut;

    /// <summary>CSR row offsets, length RowCount + 1.</summary>
    public int[] RowOffsets { get; }

    /// <summary>Column index i·NLonIn + p of each stored entry, ascending within a row.</summary>
    public int[] Columns { get; }

    /// <summary>Value of each stored entry (explicit zeros included).</summary>
    public double[] Values { get; }

    /// <summary>Stored entries, explicit zeros included.</summary>
    public int StoredEntries => Values.Length;

    /// <summary>Row index of (k, t).</summary>
    public int Row(int k, int t) => k * NLatOut + t;
}

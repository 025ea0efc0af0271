using Disco.Geo.Grids;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Psi;

namespace Disco.Geo.Sphere.Tests.Conformance;

/// <summary>Maps a reference case's parameters onto our grids, basis and psi specification.</summary>
internal static class ReferenceLayers
{
    public static SphereGrid InGrid(ReferenceCase c) =>
        SphereGrid.Create(GridKindNames.Parse(c.String("grid_in")), c.InShape.Nlat, c.InShape.Nlon);

    public static SphereGrid OutGrid(ReferenceCase c) =>
        SphereGrid.Create(GridKindNames.Parse(c.String("grid_out")), c.OutShape.Nlat, c.OutShape.Nlon);

    public static FilterBasis Basis(ReferenceCase c) => FilterBasis.Create(BasisTypeNames.Parse(c.String("basis_type")), c.KernelShape);

    public static BasisNormalization Normalization(ReferenceCase c) => BasisNormalizationNames.Parse(c.String("basis_norm_mode"));

    /// <summary>The cutoff the reference used: explicit, or torch-harmonics' one-grid-step default of the coarse grid.</summary>
    public static double ThetaCutoff(ReferenceCase c) => c.ThetaCutoff ?? c.Params.GetProperty("theta_cutoff_effective_default").GetDouble();

    public static PsiSpec Spec(ReferenceCase c) => c.Transpose
        ? new PsiSpec(InGrid(c), OutGrid(c), Basis(c), ThetaCutoff(c), Normalization(c), Transpose: true)
        : new PsiSpec(OutGrid(c), InGrid(c), Basis(c), ThetaCutoff(c), Normalization(c), Transpose: false);

    /// <summary>Reference COO (k, t, col) → value.</summary>
    public static Dictionary<(int K, int T, int Col), double> Coo(ReferenceCase c, string indexName, string valueName)
    {
        double[] index = c.Array(indexName);
        double[] values = c.Array(valueName);
        int count = values.Length;
        Dictionary<(int, int, int), double> map = new(count);
        for (int e = 0; e < count; e++)
        {
            map[((int)index[e], (int)index[count + e], (int)index[2 * count + e])] = values[e];
        }

        return map;
    }

    public static Dictionary<(int K, int T, int Col), double> Coo(PsiTensor psi)
    {
        Dictionary<(int, int, int), double> map = new(psi.StoredEntries);
        for (int k = 0; k < psi.KernelSize; k++)
        {
            for (int t = 0; t < psi.NLatOut; t++)
            {
                int row = psi.Row(k, t);
                for (int e = psi.RowOffsets[row]; e < psi.RowOffsets[row + 1]; e++)
                {
                    map[(k, t, psi.Columns[e])] = psi.Values[e];
                }
            }
        }

        return map;
    }
}

using Disco.Geo.Sphere.Psi;

namespace Disco.Geo.Sphere.Tests.Conformance;

/// <summary>Stages 2 and 3 of the conformance ladder: raw basis values and normalised psi against torch-harmonics.</summary>
public class PsiConformanceTests
{
    [Theory]
    [MemberData(nameof(ReferenceCase.All), MemberType = typeof(ReferenceCase))]
    public void Raw_basis_values_and_sparsity_match_torch_harmonics(string name)
    {
        ReferenceCase reference = ReferenceCase.Load(name);
        PsiTensor raw = PsiBuilder.EvaluateBasis(ReferenceLayers.Spec(reference));
        AssertSameEntries(ReferenceLayers.Coo(reference, "basis_idx", "basis_vals"), ReferenceLayers.Coo(raw), 1e-12);
    }

    [Theory]
    [MemberData(nameof(ReferenceCase.All), MemberType = typeof(ReferenceCase))]
    public void Normalised_psi_matches_torch_harmonics(string name)
    {
        ReferenceCase reference = ReferenceCase.Load(name);
        PsiTensor psi = PsiBuilder.Build(ReferenceLayers.Spec(reference));
        AssertSameEntries(ReferenceLayers.Coo(reference, "psi_idx", "psi_vals"), ReferenceLayers.Coo(psi), 1e-12);
    }

    [Theory]
    [InlineData("conv_eq16x32_k3_nodal")]
    [InlineData("conv_eq16x32_to_8x16_k33_nodal")]
    [InlineData("conv_lg16x32_k3_nodal")]
    [InlineData("conv_eq16x32_zernike3_nodal")]
    public void Nodal_rows_have_unit_absolute_sum(string name)
    {
        PsiTensor psi = PsiBuilder.Build(ReferenceLayers.Spec(ReferenceCase.Load(name)));
        for (int row = 0; row < psi.RowCount; row++)
        {
            double sum = 0.0;
            for (int e = psi.RowOffsets[row]; e < psi.RowOffsets[row + 1]; e++)
            {
                sum += Math.Abs(psi.Values[e]);
            }

            if (psi.RowOffsets[row + 1] > psi.RowOffsets[row] && sum > 0)
            {
                Assert.Equal(1.0, sum, 1e-12);
            }
        }
    }

    private static void AssertSameEntries(
        Dictionary<(int K, int T, int Col), double> expected, Dictionary<(int K, int T, int Col), double> actual, double relativeTolerance)
    {
        List<(int, int, int)> missing = expected.Keys.Where(key => !actual.ContainsKey(key)).ToList();
        List<(int, int, int)> extra = actual.Keys.Where(key => !expected.ContainsKey(key)).ToList();
        Assert.True(
            missing.Count == 0 && extra.Count == 0,
            $"sparsity differs: {missing.Count} entries missing (e.g. {string.Join(' ', missing.Take(5))}), {extra.Count} extra (e.g. {string.Join(' ', extra.Take(5))})");
        double scale = expected.Values.Max(Math.Abs);
        double worst = expected.Max(pair => Math.Abs(pair.Value - actual[pair.Key]));
        Assert.True(worst <= relativeTolerance * scale, $"max |difference| {worst:E3} exceeds {relativeTolerance:E0} × {scale:E3}");
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Disco.Geo.Grids;
using Disco.Geo.Sphere.FilterBases;

namespace Disco.Geo.Sphere.Psi;

/// <summary>
/// Everything psi depends on. Psi rows live on <see cref="RowGrid"/> and columns on <see cref="ColumnGrid"/>:
/// for a forward convolution these are the output and input grids; for a transposed convolution (coarse → fine)
/// psi is that of the fine → coarse forward convolution, so rows are on the coarse input grid and columns on the
/// fine output grid, with <see cref="Transpose"/> selecting torch-harmonics' transpose normalisation.
/// The longitude origins of the two grids enter as an offset: output column 0 sits at its true longitude.
/// </summary>
internal sealed record PsiSpec(
    SphereGrid RowGrid,
    SphereGrid ColumnGrid,
    FilterBasis Basis,
    double ThetaCutoff,
    BasisNormalization Normalization,
    bool Transpose)
{
    /// <summary>torch-harmonics widens the support by this factor against aliasing at the edge.</summary>
    public const double CutoffInflation = 1.0 + 1e-3;

    /// <summary>The radius actually used for supports and basis coordinates.</summary>
    public double EffectiveCutoff => CutoffInflation * ThetaCutoff;

    /// <summary>Longitude of row-grid column 0 minus that of column-grid column 0, in radians, wrapped to (−π, π].</summary>
    public double LongitudeOffset
    {
        get
        {
            double degrees = Math.IEEERemainder(RowGrid.LonOriginDegrees - ColumnGrid.LonOriginDegrees, 360.0);
            return degrees * (Math.PI / 180.0);
        }
    }

    /// <summary>A stable text form of every parameter; its SHA-256 keys the on-disk cache.</summary>
    public string CanonicalText() => string.Create(
        CultureInfo.InvariantCulture,
        $"rows={RowGrid.Kind.ToName()}:{RowGrid.NLat}x{RowGrid.NLon};cols={ColumnGrid.Kind.ToName()}:{ColumnGrid.NLat}x{ColumnGrid.NLon};" +
        $"offset={BitConverter.DoubleToInt64Bits(LongitudeOffset):X16};basis={Basis.Type.ToName()}:{string.Join(',', Basis.KernelShape)};" +
        $"cutoff={BitConverter.DoubleToInt64Bits(ThetaCutoff):X16};norm={Normalization.ToName()};transpose={Transpose}");

    /// <summary>Hex SHA-256 of <see cref="CanonicalText"/>.</summary>
    public string Key() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalText())));
}

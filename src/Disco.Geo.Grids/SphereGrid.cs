using Disco.Geo.Grids.Quadrature;

namespace Disco.Geo.Grids;

/// <summary>
/// A latitude–longitude grid on the unit sphere: its kind (which fixes colatitudes and quadrature), its size and the
/// geographic longitude of column 0. Rows run from north to south; columns run eastwards with equal spacing 2π/NLon.
/// Two grids are equal when kind, size and origin are equal.
/// </summary>
public sealed class SphereGrid : IEquatable<SphereGrid>
{
    /// <summary>Largest accepted latitude or longitude count; far beyond any global raster we can hold in memory.</summary>
    public const int MaxDimension = 1 << 16;

    private readonly double[] _colatitudes;
    private readonly double[] _weights;

    private SphereGrid(GridKind kind, int nlat, int nlon, double lonOriginDegrees)
    {
        Kind = kind;
        NLat = nlat;
        NLon = nlon;
        LonOriginDegrees = lonOriginDegrees;
        LatitudeRule rule = LatitudeRules.For(kind, nlat);
        _colatitudes = rule.Colatitudes;
        _weights = rule.Weights;
    }

    /// <summary>The latitude layout and quadrature rule.</summary>
    public GridKind Kind { get; }

    /// <summary>Number of latitude rows (north to south).</summary>
    public int NLat { get; }

    /// <summary>Number of equispaced longitude columns.</summary>
    public int NLon { get; }

    /// <summary>Geographic longitude (degrees east) of column 0.</summary>
    public double LonOriginDegrees { get; }

    /// <summary>Longitude spacing in degrees.</summary>
    public double LonStepDegrees => 360.0 / NLon;

    /// <summary>True when the first and last rows sit exactly on the poles (equiangular, lobatto, trapezoidal).</summary>
    public bool HasPoleRows => Kind is GridKind.Equiangular or GridKind.Lobatto or GridKind.EquiangularTrapezoidal;

    /// <summary>Colatitudes θ_i in radians, ascending from the north pole (θ = 0) towards the south pole (θ = π).</summary>
    public ReadOnlySpan<double> Colatitudes => _colatitudes;

    /// <summary>Latitude quadrature weights w_i for ∫ f d(cos θ); they sum to 2.</summary>
    public ReadOnlySpan<double> LatitudeWeights => _weights;

    /// <summary>Number of nodes, NLat × NLon.</summary>
    public long NodeCount => (long)NLat * NLon;

    internal double[] ColatitudeArray => _colatitudes;

    internal double[] LatitudeWeightArray => _weights;

    /// <summary>
    /// Creates a grid. When <paramref name="lonOriginDegrees"/> is omitted, column 0 sits at −180° for node grids and
    /// half a column east of −180° for <see cref="GridKind.Equirectangular"/> (pixel centres of a −180..180 raster).
    /// </summary>
    /// <exception cref="ArgumentException">A size is out of range or the origin is not finite.</exception>
    public static SphereGrid Create(GridKind kind, int nlat, int nlon, double? lonOriginDegrees = null)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentException($"Unknown grid kind {(int)kind}.", nameof(kind));
        }

        int minimum = LatitudeRules.MinimumCount(kind);
        if (nlat < minimum || nlat > MaxDimension)
        {
            throw new ArgumentException(
                $"nlat = {nlat} is out of range for a {kind.ToName()} grid; use {minimum}..{MaxDimension}.", nameof(nlat));
        }

        if (nlon < 1 || nlon > MaxDimension)
        {
            throw new ArgumentException($"nlon = {nlon} is out of range; use 1..{MaxDimension}.", nameof(nlon));
        }

        double origin = lonOriginDegrees ?? DefaultLonOrigin(kind, nlon);
        if (!double.IsFinite(origin))
        {
            throw new ArgumentException("The longitude origin must be a finite number of degrees.", nameof(lonOriginDegrees));
        }

        return new SphereGrid(kind, nlat, nlon, origin);
    }

    /// <summary>The default longitude of column 0 for a grid kind (see <see cref="Create"/>).</summary>
    public static double DefaultLonOrigin(GridKind kind, int nlon) =>
        kind == GridKind.Equirectangular ? -180.0 + 180.0 / nlon : -180.0;

    /// <summary>Colatitude of row <paramref name="i"/> in radians.</summary>
    public double Colatitude(int i) => _colatitudes[i];

    /// <summary>Geographic latitude of row <paramref name="i"/> in degrees (90 at the north pole).</summary>
    public double LatitudeDegrees(int i) => 90.0 - _colatitudes[i] * (180.0 / Math.PI);

    /// <summary>Longitude of column <paramref name="p"/> relative to column 0, in radians: 2πp/NLon.</summary>
    public double LongitudeRadians(int p) => 2.0 * Math.PI * p / NLon;

    /// <summary>Geographic longitude of column <paramref name="p"/> in degrees east (not wrapped).</summary>
    public double LongitudeDegrees(int p) => LonOriginDegrees + 360.0 * p / NLon;

    /// <summary>Quadrature weight (steradians) of each node in row <paramref name="i"/>: w_i · 2π / NLon. Node areas sum to 4π.</summary>
    public double NodeArea(int i) => _weights[i] * 2.0 * Math.PI / NLon;

    /// <summary>Node areas per row (steradians), see <see cref="NodeArea"/>.</summary>
    public double[] RowAreas()
    {
        double[] areas = new double[NLat];
        for (int i = 0; i < NLat; i++)
        {
            areas[i] = NodeArea(i);
        }

        return areas;
    }

    /// <summary>The same layout with another longitude origin.</summary>
    public SphereGrid WithLonOrigin(double lonOriginDegrees) => Create(Kind, NLat, NLon, lonOriginDegrees);

    /// <summary>A short description such as "equiangular 181×360 (lon0 = -180°)".</summary>
    public override string ToString() =>
        FormattableString.Invariant($"{Kind.ToName()} {NLat}x{NLon} (lon0 = {LonOriginDegrees}°)");

    /// <inheritdoc />
    public bool Equals(SphereGrid? other) =>
        other is not null && Kind == other.Kind && NLat == other.NLat && NLon == other.NLon &&
        LonOriginDegrees.Equals(other.LonOriginDegrees);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SphereGrid);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, NLat, NLon, LonOriginDegrees);
}

using Disco.Geo.Grids;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Rotations;

/// <summary>
/// A rotation that maps a grid's nodes onto its nodes, so applying it to a signal is a permutation (no interpolation,
/// bit-exact, exactly invertible): an eastward roll by whole columns, optionally after the north–south flip
/// F = rotation by π about the x axis, (θ, λ) → (π − θ, −λ). Every rotation by π about an equatorial axis is a flip
/// followed by a roll, so these are all rotations of the grid onto itself except on tiny grids. The flip maps nodes to
/// nodes only when the colatitudes are symmetric about the equator (every grid kind: their rules are symmetric) and the
/// longitudes are symmetric about 0 (2·lon0 a whole number of columns, true of the default origins of every kind).
/// </summary>
/// <param name="Flip">Apply the north–south flip first.</param>
/// <param name="RollSteps">Then roll this many columns eastwards, 0..NLon−1.</param>
internal readonly record struct GridSymmetry(bool Flip, int RollSteps)
{
    private const double Tolerance = 1e-12;

    /// <summary>The identity.</summary>
    public static GridSymmetry Identity => default;

    /// <summary>The rotation this permutation performs on <paramref name="grid"/>: R = R_z(roll) · F^flip.</summary>
    public Rotation ToRotation(SphereGrid grid)
    {
        Rotation roll = Rotation.AboutZ(2 * Math.PI * RollSteps / grid.NLon);
        return Flip ? Rotation.AboutX(Math.PI).Then(roll) : roll;
    }

    /// <summary>The inverse permutation: a roll back, or the same flip-roll (a rotation by π is its own inverse).</summary>
    public GridSymmetry Inverse(SphereGrid grid) => Flip ? this : new GridSymmetry(false, (grid.NLon - RollSteps) % grid.NLon);

    /// <summary>True when the north–south flip maps the nodes of <paramref name="grid"/> onto nodes.</summary>
    public static bool FlipIsExact(SphereGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ReadOnlySpan<double> colatitudes = grid.Colatitudes;
        for (int i = 0; i < grid.NLat; i++)
        {
            if (Math.Abs(colatitudes[i] + colatitudes[grid.NLat - 1 - i] - Math.PI) > Tolerance)
            {
                return false;
            }
        }

        double columns = 2 * grid.LonOriginDegrees / grid.LonStepDegrees;
        return Math.Abs(columns - Math.Round(columns)) < 1e-9;
    }

    /// <summary>
    /// The permutation performing <paramref name="rotation"/> on <paramref name="grid"/>, when there is one: a rotation
    /// about the polar axis by whole columns, or (when <see cref="FlipIsExact"/>) a rotation by π about an equatorial
    /// axis at a longitude of whole or half columns.
    /// </summary>
    public static bool TryFind(Rotation rotation, SphereGrid grid, out GridSymmetry symmetry)
    {
        ArgumentNullException.ThrowIfNull(rotation);
        ArgumentNullException.ThrowIfNull(grid);
        symmetry = default;
        bool zFixed = Math.Abs(rotation[0, 2]) < 1e-14 && Math.Abs(rotation[1, 2]) < 1e-14
                      && Math.Abs(rotation[2, 0]) < 1e-14 && Math.Abs(rotation[2, 1]) < 1e-14;
        if (!zFixed)
        {
            return false;
        }

        bool flip;
        if (Math.Abs(rotation[2, 2] - 1) < 1e-14)
        {
            flip = false;
        }
        else if (Math.Abs(rotation[2, 2] + 1) < 1e-14 && FlipIsExact(grid))
        {
            flip = true;
        }
        else
        {
            return false;
        }

        // Both forms have first column (cos a, sin a, 0): R_z(a) and R_z(a)·F.
        double angle = Math.Atan2(rotation[1, 0], rotation[0, 0]);
        double columns = angle / (2 * Math.PI) * grid.NLon;
        double rounded = Math.Round(columns);
        if (Math.Abs(columns - rounded) > 1e-9)
        {
            return false;
        }

        symmetry = new GridSymmetry(flip, (int)(((long)rounded % grid.NLon + grid.NLon) % grid.NLon));
        return true;
    }

    /// <summary>Applies the permutation to a tensor [..., NLat, NLon] of any dtype: (R·f)(v) = f(Rᵀv).</summary>
    public Tensor Apply(Tensor x, SphereGrid grid)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(grid);
        if (!Flip)
        {
            return RollSteps == 0 ? x.clone() : x.roll(RollSteps, -1);
        }

        // (F·f) at row i, column p is f at row n−1−i and the column of longitude −λ_p, q = (c − p) mod N with
        // c = −2·lon0/step; reversing the columns gives column N−1−p, so a roll by c + 1 − N lines them up.
        int n = grid.NLon;
        int c = (int)Math.Round(-2 * grid.LonOriginDegrees / grid.LonStepDegrees);
        int shift = (int)((((long)c + 1 - n + RollSteps) % n + n) % n);
        using Tensor flipped = x.flip(-2, -1);
        return shift == 0 ? flipped.clone() : flipped.roll(shift, -1);
    }
}

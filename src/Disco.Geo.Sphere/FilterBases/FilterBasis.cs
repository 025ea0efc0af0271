namespace Disco.Geo.Sphere.FilterBases;

/// <summary>
/// K functions on a spherical cap of radius r_c around the north pole, written in the cap's polar coordinates
/// (ϑ = distance from the centre, φ = azimuth with φ = 0 pointing south, π/2 east). A DISCO filter is a learned
/// linear mix of them. Supports and values follow torch-harmonics exactly, including inclusive comparisons at
/// support edges (points exactly on an edge are in the support with value 0).
/// </summary>
public abstract class FilterBasis : IEquatable<FilterBasis>
{
    /// <summary>Initialises a basis with its type and normalised kernel shape.</summary>
    private protected FilterBasis(BasisType type, int[] kernelShape)
    {
        Type = type;
        KernelShape = kernelShape;
    }

    /// <summary>The basis family.</summary>
    public BasisType Type { get; }

    /// <summary>The kernel shape after torch-harmonics' normalisation (e.g. 3 → (3, 1) for piecewise linear).</summary>
    public IReadOnlyList<int> KernelShape { get; }

    /// <summary>Number of basis functions K.</summary>
    public abstract int KernelSize { get; }

    /// <summary>
    /// Creates a basis. Kernel shapes: piecewise linear n or (nr, nphi); harmonic n → (n, n) or (a, b);
    /// zernike n (the number of radial degrees).
    /// </summary>
    /// <exception cref="ArgumentException">The kernel shape is empty, has too many entries, or a non-positive size.</exception>
    public static FilterBasis Create(BasisType type, params int[] kernelShape)
    {
        ArgumentNullException.ThrowIfNull(kernelShape);
        if (kernelShape.Length is 0 or > 2 || kernelShape.Any(n => n < 1 || n > 64))
        {
            throw new ArgumentException(
                $"kernel_shape [{string.Join(", ", kernelShape)}] is invalid: give one or two sizes between 1 and 64.",
                nameof(kernelShape));
        }

        return type switch
        {
            BasisType.PiecewiseLinear => new PiecewiseLinearBasis(kernelShape),
            BasisType.Harmonic => new HarmonicBasis(kernelShape),
            BasisType.Zernike => new ZernikeBasis(kernelShape),
            _ => throw new ArgumentException($"Unknown basis type {(int)type}.", nameof(type)),
        };
    }

    /// <summary>
    /// True for rotationally symmetric (m = 0) functions. "modal" normalisation removes the mean of the others, and
    /// only filters made of isotropic functions are equivariant to all rotations.
    /// </summary>
    public abstract bool IsIsotropic(int k);

    /// <summary>True when every basis function is isotropic.</summary>
    public bool IsFullyIsotropic => Enumerable.Range(0, KernelSize).All(IsIsotropic);

    /// <summary>
    /// How many rotations of the filter about its centre map the basis onto itself by permuting its functions: nphi
    /// for a piecewise linear basis with nphi sectors, 1 (only the identity) otherwise.
    /// </summary>
    internal virtual int DiscreteRotations => 1;

    /// <summary>
    /// The basis permutation perm of a rotation of the filter by <paramref name="steps"/>·2π/<see cref="DiscreteRotations"/>:
    /// the filter with weights w[perm[k]] is the filter with weights w[k] turned by that angle (identity for a basis
    /// without sector rotations).
    /// </summary>
    internal virtual int[] RotationPermutation(int steps) => Enumerable.Range(0, KernelSize).ToArray();

    /// <summary>
    /// Evaluates all K functions at one point of the cap. For each k, <paramref name="inSupport"/>[k] tells whether the
    /// point is in that function's support (then it is stored in psi, even with value 0) and <paramref name="values"/>[k]
    /// its value. <paramref name="cutoff"/> is the effective radius r_c (already including torch-harmonics' 1.001 factor).
    /// </summary>
    internal abstract void Evaluate(double theta, double phi, double cutoff, Span<double> values, Span<bool> inSupport);

    /// <summary>"piecewise linear (3, 3)".</summary>
    public override string ToString() => $"{Type.ToName()} ({string.Join(", ", KernelShape)})";

    /// <inheritdoc />
    public bool Equals(FilterBasis? other) =>
        other is not null && Type == other.Type && KernelShape.SequenceEqual(other.KernelShape);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as FilterBasis);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Type, KernelShape.Count, KernelShape[0], KernelShape[^1]);

    /// <summary>Shortest angular distance between two azimuths, as torch-harmonics computes it.</summary>
    private protected static double CircleDistance(double a, double b)
    {
        double d = Math.Abs(a - b);
        return Math.Min(d, Math.Abs(2.0 * Math.PI - d));
    }
}

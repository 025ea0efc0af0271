namespace Disco.Geo.Sphere.FilterBases;

/// <summary>The family of functions a DISCO filter is a learned mix of (torch-harmonics' basis_type).</summary>
public enum BasisType
{
    /// <summary>Tensor-product hat functions in radius (and, for kernel shapes (nr, nphi > 1), in angle): "piecewise linear".</summary>
    PiecewiseLinear,

    /// <summary>Products of sines and cosines in local Cartesian coordinates under a Hann window, L2-normalised: "harmonic".</summary>
    Harmonic,

    /// <summary>Zernike polynomials on the unit disk, L2-normalised: "zernike".</summary>
    Zernike,
}

/// <summary>Names of basis types as used by torch-harmonics, configuration and the API.</summary>
public static class BasisTypeNames
{
    /// <summary>"piecewise linear", "harmonic" or "zernike".</summary>
    public static string ToName(this BasisType type) => type switch
    {
        BasisType.PiecewiseLinear => "piecewise linear",
        BasisType.Harmonic => "harmonic",
        BasisType.Zernike => "zernike",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown basis type."),
    };

    /// <summary>Parses a basis type name ("piecewise linear", "piecewise-linear", "harmonic", "zernike"; case-insensitive).</summary>
    /// <exception cref="ArgumentException">The name is not a known basis type.</exception>
    public static BasisType Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant().Replace('_', ' ').Replace('-', ' ') switch
        {
            "piecewise linear" => BasisType.PiecewiseLinear,
            "harmonic" => BasisType.Harmonic,
            "zernike" => BasisType.Zernike,
            _ => throw new ArgumentException(
                $"Unknown basis type '{name}'. Use 'piecewise linear', 'harmonic' or 'zernike'.", nameof(name)),
        };
    }
}

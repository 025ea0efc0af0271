namespace Disco.Geo.Sphere.Psi;

/// <summary>
/// How each basis function's psi values are scaled before the quadrature weights are merged in
/// (torch-harmonics' basis_norm_mode). "Group" means one (basis function, output latitude) pair, or for a transposed
/// convolution one (basis function, fine latitude) pair. Scales are quadrature-weighted L1 norms.
/// </summary>
public enum BasisNormalization
{
    /// <summary>Values unchanged.</summary>
    None,

    /// <summary>Each group divided by its own L1 norm, so Σ|ψ| = 1 per group (torch-harmonics ≥ 0.9.1 default).</summary>
    Nodal,

    /// <summary>Like nodal, but anisotropic functions first have their quadrature-weighted mean removed.</summary>
    Modal,

    /// <summary>Each function divided by the mean of its group L1 norms over all latitudes.</summary>
    Mean,

    /// <summary>Each group divided by the quadrature measure of its support (stored entries, explicit zeros included).</summary>
    Support,

    /// <summary>Everything divided by the cap's area fraction (1 − cos θ_c)/4: position independent.</summary>
    Geometric,
}

/// <summary>Names of normalisation modes as used by torch-harmonics, configuration and the API.</summary>
public static class BasisNormalizationNames
{
    /// <summary>"none", "nodal", "modal", "mean", "support" or "geometric".</summary>
    public static string ToName(this BasisNormalization mode) => mode switch
    {
        BasisNormalization.None => "none",
        BasisNormalization.Nodal => "nodal",
        BasisNormalization.Modal => "modal",
        BasisNormalization.Mean => "mean",
        BasisNormalization.Support => "support",
        BasisNormalization.Geometric => "geometric",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown normalisation mode."),
    };

    /// <summary>Parses a mode name; torch-harmonics' deprecated aliases "individual" and "area ratio" are accepted.</summary>
    /// <exception cref="ArgumentException">The name is not a known mode.</exception>
    public static BasisNormalization Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "none" => BasisNormalization.None,
            "nodal" or "individual" => BasisNormalization.Nodal,
            "modal" => BasisNormalization.Modal,
            "mean" => BasisNormalization.Mean,
            "support" => BasisNormalization.Support,
            "geometric" or "area ratio" => BasisNormalization.Geometric,
            _ => throw new ArgumentException(
                $"Unknown basis normalisation '{name}'. Use none, nodal, modal, mean, support or geometric.", nameof(name)),
        };
    }
}

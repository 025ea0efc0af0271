namespace Disco.Geo.Grids;

/// <summary>
/// The latitude layout of a sphere grid. Longitudes are always equispaced; the kind fixes the colatitudes and the
/// quadrature rule used to integrate over them.
/// </summary>
public enum GridKind
{
    /// <summary>Equiangular colatitudes θ_i = π·i/(n−1), both poles included, Clenshaw–Curtis weights (torch-harmonics "equiangular").</summary>
    Equiangular,

    /// <summary>Gauss–Legendre nodes in cos θ, no poles (torch-harmonics "legendre-gauss").</summary>
    LegendreGauss,

    /// <summary>Gauss–Lobatto–Legendre nodes in cos θ, both poles included (torch-harmonics "lobatto").</summary>
    Lobatto,

    /// <summary>
    /// Nodes equispaced in cos θ (not in θ, despite the name) with trapezoidal weights, poles included
    /// (torch-harmonics "equiangular-trapezoidal").
    /// </summary>
    EquiangularTrapezoidal,

    /// <summary>
    /// Pixel-centred colatitudes θ_i = (i+½)π/n with Fejér's first rule: the grid of a global EPSG:4326 raster and of a
    /// 360° equirectangular photo.
    /// </summary>
    Equirectangular,
}

/// <summary>Names of grid kinds as used in configuration, the API and torch-harmonics.</summary>
public static class GridKindNames
{
    /// <summary>The canonical names of every kind, in declaration order (for help texts and error messages).</summary>
    public static IReadOnlyList<string> All { get; } = Enum.GetValues<GridKind>().Select(kind => kind.ToName()).ToArray();

    /// <summary>The canonical name: "equiangular", "legendre-gauss", "lobatto", "equiangular-trapezoidal" or "equirectangular".</summary>
    public static string ToName(this GridKind kind) => kind switch
    {
        GridKind.Equiangular => "equiangular",
        GridKind.LegendreGauss => "legendre-gauss",
        GridKind.Lobatto => "lobatto",
        GridKind.EquiangularTrapezoidal => "equiangular-trapezoidal",
        GridKind.Equirectangular => "equirectangular",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown grid kind."),
    };

    /// <summary>Parses a grid kind name (case-insensitive; "gauss" and "trapezoidal" are accepted aliases).</summary>
    /// <exception cref="ArgumentException">The name is not a known grid kind.</exception>
    public static GridKind Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "equiangular" => GridKind.Equiangular,
            "legendre-gauss" or "gauss" or "gauss-legendre" => GridKind.LegendreGauss,
            "lobatto" => GridKind.Lobatto,
            "equiangular-trapezoidal" or "trapezoidal" => GridKind.EquiangularTrapezoidal,
            "equirectangular" => GridKind.Equirectangular,
            _ => throw new ArgumentException($"Unknown grid kind '{name}'. Use one of: {string.Join(", ", All)}.", nameof(name)),
        };
    }

    /// <summary>Parses a grid kind name without throwing.</summary>
    public static bool TryParse(string? name, out GridKind kind)
    {
        kind = default;
        if (string.IsNullOrWhiteSpace(name))
        {
            return false;
        }

        try
        {
            kind = Parse(name);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

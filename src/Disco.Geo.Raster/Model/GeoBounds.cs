using System.Globalization;

namespace Disco.Geo.Raster;

/// <summary>
/// An axis-aligned extent in the units of a CRS (degrees for EPSG:4326): the outer edges of a raster, not pixel centres.
/// West may exceed 180 for 0..360 rasters.
/// </summary>
/// <param name="West">Minimum x (western edge).</param>
/// <param name="South">Minimum y (southern edge).</param>
/// <param name="East">Maximum x (eastern edge).</param>
/// <param name="North">Maximum y (northern edge).</param>
public readonly record struct GeoBounds(double West, double South, double East, double North)
{
    /// <summary>The whole globe in EPSG:4326: −180..180, −90..90 (a plate carrée world image).</summary>
    public static GeoBounds World => new(-180, -90, 180, 90);

    /// <summary>The whole globe with longitudes 0..360.</summary>
    public static GeoBounds World0To360 => new(0, -90, 360, 90);

    /// <summary>East − West.</summary>
    public double Width => East - West;

    /// <summary>North − South.</summary>
    public double Height => North - South;

    /// <summary>Throws unless the bounds are finite with West &lt; East and South &lt; North.</summary>
    /// <exception cref="ArgumentException">The bounds are empty, inverted or not finite.</exception>
    public void Validate(string parameterName)
    {
        if (!double.IsFinite(West) || !double.IsFinite(South) || !double.IsFinite(East) || !double.IsFinite(North) ||
            West >= East || South >= North)
        {
            throw new ArgumentException(
                $"Bounds {this} are invalid: they must be finite with West < East and South < North (outer pixel edges).",
                parameterName);
        }
    }

    /// <summary>"west,south,east,north" with invariant formatting.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{West},{South},{East},{North}");
}

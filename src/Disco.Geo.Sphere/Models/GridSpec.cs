using System.Text.Json.Serialization;
using Disco.Geo.Grids;

namespace Disco.Geo.Sphere.Models;

/// <summary>
/// A sphere grid written down as data (kind, size, longitude of column 0), so that a model configuration and a model
/// card can be stored as JSON and rebuilt into the same <see cref="SphereGrid"/>.
/// </summary>
/// <param name="Kind">Latitude layout and quadrature.</param>
/// <param name="NLat">Latitude rows.</param>
/// <param name="NLon">Longitude columns.</param>
/// <param name="LonOriginDegrees">Longitude of column 0 in degrees east.</param>
public sealed record GridSpec(
    [property: JsonPropertyName("kind")] GridKind Kind,
    [property: JsonPropertyName("nlat")] int NLat,
    [property: JsonPropertyName("nlon")] int NLon,
    [property: JsonPropertyName("lon_origin_degrees")] double LonOriginDegrees)
{
    /// <summary>The description of an existing grid.</summary>
    public static GridSpec From(SphereGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        return new GridSpec(grid.Kind, grid.NLat, grid.NLon, grid.LonOriginDegrees);
    }

    /// <summary>Builds the grid.</summary>
    /// <exception cref="ArgumentException">The kind, sizes or origin are invalid (the message says which).</exception>
    public SphereGrid ToGrid() => SphereGrid.Create(Kind, NLat, NLon, LonOriginDegrees);

    /// <summary>"equiangular 181x360 (lon0 = -180°)".</summary>
    public override string ToString() => FormattableString.Invariant($"{Kind.ToName()} {NLat}x{NLon} (lon0 = {LonOriginDegrees}°)");
}

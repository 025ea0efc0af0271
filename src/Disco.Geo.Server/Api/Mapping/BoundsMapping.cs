using Disco.Geo.Protos.V1;
using Disco.Geo.Raster;

namespace Disco.Geo.Server.Api.Mapping;

/// <summary>Between the API's <see cref="GeographicBounds"/> and the libraries' <see cref="GeoBounds"/>.</summary>
internal static class BoundsMapping
{
    /// <summary>The bounds, or null when the request left them unset (a whole-Earth image).</summary>
    public static GeoBounds? ToEngine(GeographicBounds? bounds) =>
        bounds is null ? null : new GeoBounds(bounds.West, bounds.South, bounds.East, bounds.North);

    /// <summary>
    /// Field violations of set bounds, one per broken rule (see common.proto): finite, −90 ≤ south &lt; north ≤ 90,
    /// west &lt; east within −360..360 and at most 360° wide. A crossing of the antimeridian is written with east
    /// beyond 180; east &lt; west is refused with that advice rather than guessed at.
    /// </summary>
    public static void AddViolations(List<(string, string)> violations, string field, GeographicBounds? bounds)
    {
        if (bounds is null)
        {
            return;
        }

        (string Name, double Value)[] edges = [("west", bounds.West), ("south", bounds.South), ("east", bounds.East), ("north", bounds.North)];
        bool finite = true;
        foreach ((string name, double value) in edges)
        {
            if (!double.IsFinite(value))
            {
                violations.Add(($"{field}.{name}", "must be a finite number of degrees."));
                finite = false;
            }
        }

        if (!finite)
        {
            return;
        }

        if (bounds.South < -90)
        {
            violations.Add(($"{field}.south", "must be at least -90 (degrees of latitude)."));
        }

        if (bounds.North > 90)
        {
            violations.Add(($"{field}.north", "must be at most 90 (degrees of latitude)."));
        }

        if (bounds.South >= bounds.North)
        {
            violations.Add(($"{field}.north", $"must be greater than south ({bounds.South}): north and south are the top and bottom edges of the image."));
        }

        if (Math.Abs(bounds.West) > 360 || Math.Abs(bounds.East) > 360)
        {
            violations.Add(($"{field}.{(Math.Abs(bounds.West) > 360 ? "west" : "east")}", "must be a longitude between -360 and 360."));
        }
        else if (bounds.West >= bounds.East)
        {
            violations.Add(($"{field}.east",
                $"must be greater than west ({bounds.West}); an image crossing the antimeridian is written with east beyond 180 (e.g. west 170, east 190)."));
        }
        else if (bounds.East - bounds.West > 360)
        {
            violations.Add(($"{field}.east", $"is {bounds.East - bounds.West} degrees east of west; an image spans at most 360 degrees of longitude."));
        }
    }
}

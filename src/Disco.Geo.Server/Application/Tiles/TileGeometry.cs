using Disco.Geo.Grids;

namespace Disco.Geo.Server.Application.Tiles;

/// <summary>The coordinates tiles carry: every row's latitude (or none) and every column's longitude, in degrees.</summary>
internal sealed record TileGeometry(double[] LatitudesDegrees, double[] LongitudesDegrees)
{
    /// <summary>The coordinates of a grid's nodes.</summary>
    public static TileGeometry Of(SphereGrid grid) => new(
        Enumerable.Range(0, grid.NLat).Select(grid.LatitudeDegrees).ToArray(),
        Enumerable.Range(0, grid.NLon).Select(grid.LongitudeDegrees).ToArray());

    /// <summary>
    /// Longitudes only, for a stored grid the libraries cannot build (its rows have no known latitudes); the columns are
    /// still evenly spaced from the origin, as on every grid.
    /// </summary>
    public static TileGeometry LongitudesOnly(double lonOriginDegrees, int nlon) =>
        new([], Enumerable.Range(0, nlon).Select(j => lonOriginDegrees + (360.0 * j / nlon)).ToArray());
}

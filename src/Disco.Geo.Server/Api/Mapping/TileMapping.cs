using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Application.Tiles;
using Google.Protobuf;

namespace Disco.Geo.Server.Api.Mapping;

/// <summary>Between the tile writer's tiles and the API's, and the coordinates of the API's stored grids.</summary>
internal static class TileMapping
{
    /// <summary>
    /// A tile as the API sends it. The arrays are wrapped without a copy: each <see cref="MapTile"/> owns its arrays and
    /// nothing writes them after the tile is made.
    /// </summary>
    public static Tile ToApi(MapTile tile)
    {
        var api = new Tile
        {
            RowStart = tile.RowStart,
            RowCount = tile.RowCount,
            ColStart = 0,
            ColCount = tile.Columns,
            Values = new TypedArray { Dtype = DataType.Float32, Shape = { tile.Bands, tile.RowCount, tile.Columns }, Data = UnsafeByteOperations.UnsafeWrap(tile.Values) },
            Mask = new TypedArray { Dtype = DataType.Uint8, Shape = { tile.RowCount, tile.Columns }, Data = UnsafeByteOperations.UnsafeWrap(tile.Mask) },
            LongitudesDegrees = { tile.LongitudesDegrees },
        };
        api.LatitudesDegrees.Add(tile.LatitudesDegrees);
        return api;
    }

    /// <summary>
    /// The coordinates of a stored map of <paramref name="nlon"/> columns on <paramref name="grid"/>: the same the live
    /// prediction computed from the engine's grid, or longitudes only for a grid the libraries cannot build.
    /// </summary>
    public static TileGeometry GeometryOf(Grid grid, int nlon)
    {
        if (GridMapping.ToLibrary(grid.Kind) is { } kind && grid.Nlat >= 2 && grid.Nlon == nlon)
        {
            try
            {
                return TileGeometry.Of(Grids.SphereGrid.Create(kind, grid.Nlat, grid.Nlon, grid.LonOriginDegrees));
            }
            catch (ArgumentException)
            {
                // A size the kind cannot have: fall back to longitudes, as for an unknown kind.
            }
        }

        return TileGeometry.LongitudesOnly(grid.LonOriginDegrees, nlon);
    }
}

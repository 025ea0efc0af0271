using Disco.Geo.Grids;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Server.Services;

/// <summary>Row latitudes of an API grid, from the DISCO engine's grid definitions.</summary>
internal static class GridLatitudes
{
    public static double[] Degrees(Grid grid)
    {
        Geo.Grids.GridKind? kind = grid.Kind switch
        {
            Protos.V1.GridKind.Equiangular => Geo.Grids.GridKind.Equiangular,
            Protos.V1.GridKind.LegendreGauss => Geo.Grids.GridKind.LegendreGauss,
            Protos.V1.GridKind.Lobatto => Geo.Grids.GridKind.Lobatto,
            Protos.V1.GridKind.EquiangularTrapezoidal => Geo.Grids.GridKind.EquiangularTrapezoidal,
            Protos.V1.GridKind.Equirectangular => Geo.Grids.GridKind.Equirectangular,
            _ => null,
        };
        if (kind is null || grid.Nlat < 2 || grid.Nlon < 1)
        {
            return [];
        }

        SphereGrid sphere = SphereGrid.Create(kind.Value, grid.Nlat, grid.Nlon, grid.LonOriginDegrees);
        return Enumerable.Range(0, grid.Nlat).Select(sphere.LatitudeDegrees).ToArray();
    }
}

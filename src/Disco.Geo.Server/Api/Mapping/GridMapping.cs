using Disco.Geo.Engine;
using Disco.Geo.Grids;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Server.Api.Mapping;

/// <summary>Between the API's grids and the libraries' <see cref="SphereGrid"/>: the one switch over grid kinds.</summary>
internal static class GridMapping
{
    /// <summary>The library kind of an API kind, or null for unspecified and unknown kinds.</summary>
    public static Grids.GridKind? ToLibrary(Protos.V1.GridKind kind) => kind switch
    {
        Protos.V1.GridKind.Equiangular => Grids.GridKind.Equiangular,
        Protos.V1.GridKind.LegendreGauss => Grids.GridKind.LegendreGauss,
        Protos.V1.GridKind.Lobatto => Grids.GridKind.Lobatto,
        Protos.V1.GridKind.EquiangularTrapezoidal => Grids.GridKind.EquiangularTrapezoidal,
        Protos.V1.GridKind.Equirectangular => Grids.GridKind.Equirectangular,
        _ => null,
    };

    /// <summary>The API kind of a library kind.</summary>
    public static Protos.V1.GridKind ToApi(Grids.GridKind kind) => kind switch
    {
        Grids.GridKind.Equiangular => Protos.V1.GridKind.Equiangular,
        Grids.GridKind.LegendreGauss => Protos.V1.GridKind.LegendreGauss,
        Grids.GridKind.Lobatto => Protos.V1.GridKind.Lobatto,
        Grids.GridKind.EquiangularTrapezoidal => Protos.V1.GridKind.EquiangularTrapezoidal,
        _ => Protos.V1.GridKind.Equirectangular,
    };

    /// <summary>The library grid of an API grid; a grid the libraries cannot build is an input the user must fix.</summary>
    /// <exception cref="EngineInputException">Unknown kind, or a size the kind cannot have.</exception>
    public static SphereGrid ToSphereGrid(Grid grid)
    {
        Grids.GridKind kind = ToLibrary(grid.Kind)
            ?? throw new EngineInputException($"Grid kind {grid.Kind} is not supported; use {string.Join(", ", GridKindNames.All)}.");
        try
        {
            return SphereGrid.Create(kind, grid.Nlat, grid.Nlon, grid.LonOriginDegrees);
        }
        catch (ArgumentException e)
        {
            throw new EngineInputException($"The grid {kind.ToName()} {grid.Nlat}x{grid.Nlon} cannot be built: {e.Message}");
        }
    }

    /// <summary>The API grid of a library grid.</summary>
    public static Grid ToApi(SphereGrid grid) => new()
    {
        Kind = ToApi(grid.Kind),
        Nlat = grid.NLat,
        Nlon = grid.NLon,
        LonOriginDegrees = grid.LonOriginDegrees,
    };
}

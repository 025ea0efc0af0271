using Disco.Geo.Grids;
using Disco.Geo.Raster;
using ApiBandRole = Disco.Geo.Protos.V1.BandRole;
using ApiGrid = Disco.Geo.Protos.V1.Grid;
using ApiGridKind = Disco.Geo.Protos.V1.GridKind;
using ApiResampling = Disco.Geo.Protos.V1.Resampling;
using GridKind = Disco.Geo.Grids.GridKind;
using Resampling = Disco.Geo.Raster.Resampling;

namespace Disco.Geo.Server.Engines.Raster;

/// <summary>Between the API's grids, roles and kernels and those of the DISCO engine and Disco.Geo.Raster.</summary>
internal static class ApiConversions
{
    /// <summary>The engine grid of an API grid; a grid the engine cannot build is an input the user must fix.</summary>
    public static SphereGrid ToSphereGrid(ApiGrid grid)
    {
        GridKind kind = grid.Kind switch
        {
            ApiGridKind.Equiangular => GridKind.Equiangular,
            ApiGridKind.LegendreGauss => GridKind.LegendreGauss,
            ApiGridKind.Lobatto => GridKind.Lobatto,
            ApiGridKind.EquiangularTrapezoidal => GridKind.EquiangularTrapezoidal,
            ApiGridKind.Equirectangular => GridKind.Equirectangular,
            _ => throw new EngineInputException($"Grid kind {grid.Kind} is not supported; use equiangular, legendre-gauss, lobatto, equiangular-trapezoidal or equirectangular."),
        };
        try
        {
            return SphereGrid.Create(kind, grid.Nlat, grid.Nlon, grid.LonOriginDegrees);
        }
        catch (ArgumentException e)
        {
            throw new EngineInputException($"The grid {kind.ToName()} {grid.Nlat}x{grid.Nlon} cannot be built: {e.Message}");
        }
    }

    /// <summary>The API grid of an engine grid.</summary>
    public static ApiGrid ToApiGrid(SphereGrid grid) => new()
    {
        Kind = grid.Kind switch
        {
            GridKind.Equiangular => ApiGridKind.Equiangular,
            GridKind.LegendreGauss => ApiGridKind.LegendreGauss,
            GridKind.Lobatto => ApiGridKind.Lobatto,
            GridKind.EquiangularTrapezoidal => ApiGridKind.EquiangularTrapezoidal,
            _ => ApiGridKind.Equirectangular,
        },
        Nlat = grid.NLat,
        Nlon = grid.NLon,
        LonOriginDegrees = grid.LonOriginDegrees,
    };

    /// <summary>The library kernel of a requested one; null (unspecified) leaves the choice to the library's defaults.</summary>
    public static Resampling? ToRaster(ApiResampling resampling) => resampling switch
    {
        ApiResampling.Nearest => Resampling.Nearest,
        ApiResampling.Bilinear => Resampling.Bilinear,
        ApiResampling.Cubic => Resampling.Cubic,
        ApiResampling.Average => Resampling.Average,
        ApiResampling.Mode => Resampling.Mode,
        _ => null,
    };

    /// <summary>The API kernel of a library one; kernels the API cannot name are reported as unspecified.</summary>
    public static ApiResampling ToApi(Resampling? resampling) => resampling switch
    {
        Resampling.Nearest => ApiResampling.Nearest,
        Resampling.Bilinear => ApiResampling.Bilinear,
        Resampling.Cubic => ApiResampling.Cubic,
        Resampling.Average => ApiResampling.Average,
        Resampling.Mode => ApiResampling.Mode,
        _ => ApiResampling.Unspecified,
    };

    /// <summary>The library role of an API role; unspecified means input, as the API documents.</summary>
    public static BandRole ToRaster(ApiBandRole role) => role switch
    {
        ApiBandRole.Label => BandRole.Label,
        ApiBandRole.Mask => BandRole.Mask,
        _ => BandRole.Input,
    };

    /// <summary>The API role of a library role.</summary>
    public static ApiBandRole ToApi(BandRole role) => role switch
    {
        BandRole.Label => ApiBandRole.Label,
        BandRole.Mask => ApiBandRole.Mask,
        _ => ApiBandRole.Input,
    };
}

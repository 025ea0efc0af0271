using Disco.Geo.Engine;
using Disco.Geo.Protos.V1;
using Disco.Geo.Raster.Ingest;

namespace Disco.Geo.Server.Api.Mapping;

/// <summary>Between the API's bands, band specs, roles and kernels and those of the engines.</summary>
internal static class BandMapping
{
    /// <summary>The library kernel of a requested one; null (unspecified) leaves the choice to the library's defaults.</summary>
    public static Raster.Resampling? ToLibrary(Protos.V1.Resampling resampling) => resampling switch
    {
        Protos.V1.Resampling.Nearest => Raster.Resampling.Nearest,
        Protos.V1.Resampling.Bilinear => Raster.Resampling.Bilinear,
        Protos.V1.Resampling.Cubic => Raster.Resampling.Cubic,
        Protos.V1.Resampling.Average => Raster.Resampling.Average,
        Protos.V1.Resampling.Mode => Raster.Resampling.Mode,
        _ => null,
    };

    /// <summary>The API kernel of a library one; kernels the API cannot name are reported as unspecified.</summary>
    public static Protos.V1.Resampling ToApi(Raster.Resampling? resampling) => resampling switch
    {
        Raster.Resampling.Nearest => Protos.V1.Resampling.Nearest,
        Raster.Resampling.Bilinear => Protos.V1.Resampling.Bilinear,
        Raster.Resampling.Cubic => Protos.V1.Resampling.Cubic,
        Raster.Resampling.Average => Protos.V1.Resampling.Average,
        Raster.Resampling.Mode => Protos.V1.Resampling.Mode,
        _ => Protos.V1.Resampling.Unspecified,
    };

    /// <summary>The library role of an API role, or null for unspecified.</summary>
    public static Raster.BandRole? ToLibrary(Protos.V1.BandRole role) => role switch
    {
        Protos.V1.BandRole.Input => Raster.BandRole.Input,
        Protos.V1.BandRole.Label => Raster.BandRole.Label,
        Protos.V1.BandRole.Mask => Raster.BandRole.Mask,
        _ => null,
    };

    /// <summary>The API role of a library role; null is unspecified.</summary>
    public static Protos.V1.BandRole ToApi(Raster.BandRole? role) => role switch
    {
        Raster.BandRole.Input => Protos.V1.BandRole.Input,
        Raster.BandRole.Label => Protos.V1.BandRole.Label,
        Raster.BandRole.Mask => Protos.V1.BandRole.Mask,
        _ => Protos.V1.BandRole.Unspecified,
    };

    /// <summary>A stored band as the engines see it (unspecified roles are inputs, as the API documents).</summary>
    public static DatasetBand ToEngine(Band band) =>
        new(band.Name, ToLibrary(band.Role) ?? Raster.BandRole.Input, ToLibrary(band.Resampling), band.SourceBand, band.Description);

    /// <summary>The stored bands of a dataset or prediction as the engines see them.</summary>
    public static IReadOnlyList<DatasetBand> ToEngine(IEnumerable<Band> bands) => [.. bands.Select(ToEngine)];

    /// <summary>An engine's band as the API shows it.</summary>
    public static Band ToApi(DatasetBand band) => new()
    {
        Name = band.Name,
        Role = ToApi(band.Role),
        SourceBand = band.SourceBand,
        Resampling = ToApi(band.Resampling),
        Description = band.Description,
    };

    /// <summary>A requested band as the ingest engine sees it; unset fields stay unset.</summary>
    public static SourceBandSpec ToEngine(BandSpec spec) => new()
    {
        SourceIndex = spec.SourceIndex,
        SourceBand = spec.SourceBand,
        Role = ToLibrary(spec.Role),
        Name = spec.Name,
        Resampling = ToLibrary(spec.Resampling),
        Scale = spec.Scale,
        Offset = spec.Offset,
        LabelMap = spec.LabelMap.ToDictionary(),
    };

    /// <summary>A band spec of the ingest engine (e.g. the defaults it filled in) as the job records it.</summary>
    public static BandSpec ToApi(SourceBandSpec spec)
    {
        var api = new BandSpec
        {
            SourceIndex = spec.SourceIndex,
            SourceBand = spec.SourceBand,
            Role = ToApi(spec.Role),
            Name = spec.Name,
            Resampling = ToApi(spec.Resampling),
            Scale = spec.Scale,
            Offset = spec.Offset,
        };
        api.LabelMap.Add(spec.LabelMap.ToDictionary());
        return api;
    }
}

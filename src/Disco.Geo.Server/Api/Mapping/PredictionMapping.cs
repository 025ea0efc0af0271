using Disco.Geo.Engine;
using Disco.Geo.Protos.V1;
using Disco.Geo.Raster.Panoramas;
using Disco.Geo.Sphere.Packaging;

namespace Disco.Geo.Server.Api.Mapping;

/// <summary>Between the API's predictions, models and exports and those of the prediction and export engines.</summary>
internal static class PredictionMapping
{
    /// <summary>How the request asks the engine to run.</summary>
    public static PredictionSettings ToSettings(PredictRequest request) =>
        new(request.Output == PredictionOutput.Probabilities, request.RotationAveraging, request.RowsPerTile)
        {
            Leveller = request.LevelWith,
            LevelRefinements = request.LevelRefinements,
        };

    /// <summary>The camera orientation of a panorama input.</summary>
    public static CameraOrientation ToOrientation(PanoramaSource panorama) => new(panorama.YawDegrees, panorama.PitchDegrees, panorama.RollDegrees);

    /// <summary>A stored model record as the engines see it for rendering and export.</summary>
    public static MapModel ToMapModel(Model model) =>
        new(model.Id, model.Name, model.Task, [.. model.Classes.Select(c => new ClassInfo(c.Id, c.Name, c.Color))]);

    /// <summary>A finished prediction's map.</summary>
    public static PredictionMap ToMap(Prediction prediction, string tensorPath, Model model) =>
        new(prediction.Id, tensorPath, GridMapping.ToSphereGrid(prediction.Grid), BandMapping.ToEngine(prediction.Bands), ToMapModel(model));

    /// <summary>The export format of the API's.</summary>
    /// <exception cref="EngineInputException">Unspecified or unknown.</exception>
    public static Engine.ExportFileFormat ToEngine(Protos.V1.ExportFormat format) => format switch
    {
        Protos.V1.ExportFormat.Geotiff => Engine.ExportFileFormat.GeoTiff,
        Protos.V1.ExportFormat.Cog => Engine.ExportFileFormat.Cog,
        Protos.V1.ExportFormat.Geojson => Engine.ExportFileFormat.GeoJson,
        Protos.V1.ExportFormat.Png => Engine.ExportFileFormat.Png,
        _ => throw new EngineInputException($"Export format {format} is not supported; use geotiff, cog, geojson or png."),
    };

    /// <summary>The engine's summary as the API shows it.</summary>
    public static Protos.V1.PredictionSummary ToApi(Engine.MapSummary summary)
    {
        var api = new Protos.V1.PredictionSummary { Seconds = summary.Seconds };
        api.ClassAreas.Add(summary.ClassAreas.Select(a => new ClassArea { ClassId = a.Class.Id, ClassName = a.Class.Name, AreaKm2 = a.AreaKm2, Fraction = a.Fraction }));
        api.Statistics.Add(summary.Statistics.Select(s => new BandStatistics { Band = s.Band, Mean = s.Mean, Stddev = s.Stddev, Min = s.Min, Max = s.Max }));
        api.Metrics.Add(summary.Metrics.ToDictionary());
        return api;
    }
}

using Disco.Geo.Server.Engines.Prediction;
using Disco.Geo.Server.Engines.Raster;
using Disco.Geo.Server.Engines.Training;

namespace Disco.Geo.Server.Engines;

/// <summary>
/// Where the compute engines plug in. Register implementations here as singletons:
/// <see cref="IIngestEngine"/>, <see cref="ITrainingEngine"/>, <see cref="IPredictionEngine"/>,
/// <see cref="IPredictionExporter"/>, <see cref="IDatasetExporter"/> and <see cref="IMapTileRenderer"/> (and optionally replace
/// <see cref="IModelCardReader"/>). Until an engine is registered, the calls that need it answer UNIMPLEMENTED
/// with the engine's name, and nothing is changed.
/// </summary>
internal static class EngineRegistration
{
    public static IServiceCollection AddDiscoEngines(this IServiceCollection services)
    {
        // Ingest, export and tiles run on Disco.Geo.Raster (GDAL); training, prediction and package validation on the
        // DISCO engine (Disco.Geo.Sphere, TorchSharp).
        services.AddSingleton(provider => new PredictionMapCache(provider.GetRequiredService<ILogger<PredictionMapCache>>(), PredictionMapCache.DefaultCapacityBytes));
        services.AddSingleton<IIngestEngine, RasterIngestEngine>();
        services.AddSingleton<RasterPredictionExporter>();
        services.AddSingleton<IPredictionExporter>(provider => provider.GetRequiredService<RasterPredictionExporter>());
        services.AddSingleton<IDatasetExporter>(provider => provider.GetRequiredService<RasterPredictionExporter>());
        services.AddSingleton<IMapTileRenderer, RasterMapTileRenderer>();
        services.AddHostedService<GdalLogForwarding>();
        services.AddSingleton<IModelCardReader, ModelPackageCardReader>();
        services.AddSingleton<ITrainingEngine, DiscoTrainingEngine>();
        services.AddSingleton(provider => new LoadedModelCache(provider.GetRequiredService<ILogger<LoadedModelCache>>()));
        services.AddSingleton<PredictionInputs>();
        services.AddSingleton<IPredictionEngine, DiscoPredictionEngine>();
        return services;
    }
}

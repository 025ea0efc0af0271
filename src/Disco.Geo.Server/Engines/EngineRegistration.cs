using Disco.Geo.Server.Engines.Raster;

namespace Disco.Geo.Server.Engines;

/// <summary>
/// Where the compute engines plug in. Register implementations here as singletons:
/// <see cref="IIngestEngine"/>, <see cref="ITrainingEngine"/>, <see cref="IPredictionEngine"/>,
/// <see cref="IPredictionExporter"/> and <see cref="IMapTileRenderer"/> (and optionally replace
/// <see cref="IModelCardReader"/>). Until an engine is registered, the calls that need it answer UNIMPLEMENTED
/// with the engine's name, and nothing is changed.
/// </summary>
internal static class EngineRegistration
{
    public static IServiceCollection AddDiscoEngines(this IServiceCollection services)
    {
        // Ingest, export and tiles run on Disco.Geo.Raster (GDAL). The training and prediction engines and the model
        // card reader of the DISCO training engine land separately.
        services.AddSingleton(provider => new PredictionMapCache(provider.GetRequiredService<ILogger<PredictionMapCache>>(), PredictionMapCache.DefaultCapacityBytes));
        services.AddSingleton<IIngestEngine, RasterIngestEngine>();
        services.AddSingleton<IPredictionExporter, RasterPredictionExporter>();
        services.AddSingleton<IMapTileRenderer, RasterMapTileRenderer>();
        services.AddHostedService<GdalLogForwarding>();
        return services;
    }
}

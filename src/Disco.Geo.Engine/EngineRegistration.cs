using Disco.Geo.Engine.Export;
using Disco.Geo.Engine.Ingest;
using Disco.Geo.Engine.Prediction;
using Disco.Geo.Engine.Tiles;
using Disco.Geo.Engine.Training;
using Microsoft.Extensions.DependencyInjection;

namespace Disco.Geo.Engine;

/// <summary>Registers the compute engines as singletons.</summary>
public static class EngineRegistration
{
    /// <summary>
    /// Adds <see cref="IIngestEngine"/>, <see cref="IPredictionExporter"/>, <see cref="IDatasetExporter"/> and
    /// <see cref="IMapTileRenderer"/> and <see cref="IRasterFileInspector"/> on Disco.Geo.Raster (GDAL), and <see cref="ITrainingEngine"/>,
    /// <see cref="IPredictionEngine"/> and <see cref="IModelCardReader"/> on the DISCO engine (Disco.Geo.Sphere,
    /// TorchSharp). The caller registers <see cref="EngineOptions"/> and logging.
    /// </summary>
    /// <remarks>Also <see cref="IModelWeightsConverter"/> (safetensors) on the DISCO engine.</remarks>
    /// <param name="services">The service collection.</param>
    public static IServiceCollection AddDiscoEngines(this IServiceCollection services)
    {
        services.AddSingleton(provider => new PredictionMapCache(provider.GetRequiredService<ILogger<PredictionMapCache>>(), PredictionMapCache.DefaultCapacityBytes));
        services.AddSingleton<IIngestEngine, RasterIngestEngine>();
        services.AddSingleton<RasterPredictionExporter>();
        services.AddSingleton<IPredictionExporter>(provider => provider.GetRequiredService<RasterPredictionExporter>());
        services.AddSingleton<IDatasetExporter>(provider => provider.GetRequiredService<RasterPredictionExporter>());
        services.AddSingleton<IMapTileRenderer, RasterMapTileRenderer>();
        services.AddSingleton<IRasterFileInspector, GdalRasterFileInspector>();
        services.AddSingleton<IModelCardReader, ModelPackageCardReader>();
        services.AddSingleton<ITrainingEngine, DiscoTrainingEngine>();
        services.AddSingleton(provider => new LoadedModelCache(provider.GetRequiredService<ILogger<LoadedModelCache>>()));
        services.AddSingleton<PredictionInputs>();
        services.AddSingleton<IPredictionEngine, DiscoPredictionEngine>();
        services.AddSingleton<IModelWeightsConverter, Weights.SafetensorsConverter>();
        return services;
    }
}

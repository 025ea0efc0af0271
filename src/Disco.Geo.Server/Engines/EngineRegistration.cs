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
        // No engine is available in this build yet: Disco.Geo.Raster (ingest, export, tiles) and the DISCO model and
        // training engine land separately.
        return services;
    }
}

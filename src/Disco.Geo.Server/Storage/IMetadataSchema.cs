namespace Disco.Geo.Server.Storage;

/// <summary>The metadata database's schema: created or migrated once at start, before any store is used.</summary>
internal interface IMetadataSchema
{
    /// <summary>Creates or upgrades the schema; safe when several processes sharing the database call it at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);
}

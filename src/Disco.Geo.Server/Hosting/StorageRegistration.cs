using Disco.Geo.Server.Options;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Postgres;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Hosting;

/// <summary>
/// Picks the storage implementations from the "Storage" settings: SQLite and blobs in the data directory (the embedded
/// default), or, when <see cref="StorageOptions.PostgreSql"/> is set, cluster mode: PostgreSQL for the catalog, jobs
/// and uploads and a blob root every replica mounts. Bad combinations are refused here, before anything starts.
/// </summary>
internal static class StorageRegistration
{
    public static void AddDiscoStorage(IServiceCollection services, IConfiguration configuration)
    {
        var settings = new StorageOptions();
        configuration.GetSection(StorageOptions.Section).Bind(settings);
        bool cluster = Validate(settings);

        if (!cluster)
        {
            services.AddSingleton(provider => new DataDirectory(provider.GetRequiredService<IOptions<StorageOptions>>().Value.DataDirectory));
            services.AddSingleton<MetadataDatabase>();
            services.AddSingleton<IMetadataSchema>(provider => provider.GetRequiredService<MetadataDatabase>());
            services.AddSingleton<LocalBlobStore>();
            services.AddSingleton<IBlobStore>(provider => provider.GetRequiredService<LocalBlobStore>());
            services.AddSingleton<ICatalog, SqliteCatalog>();
            services.AddSingleton<IUploadStore, SqliteUploadStore>();
            services.AddSingleton<IJobStore, SqliteJobStore>();
            return;
        }

        services.AddSingleton(provider =>
        {
            StorageOptions options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
            return new DataDirectory(options.DataDirectory, options.BlobRoot);
        });
        services.AddSingleton(provider => new PostgresDatabase(provider.GetRequiredService<IOptions<StorageOptions>>().Value.PostgreSql));
        services.AddSingleton<IMetadataSchema>(provider => provider.GetRequiredService<PostgresDatabase>());
        services.AddSingleton(provider => new SharedBlobStore(
            provider.GetRequiredService<DataDirectory>(), provider.GetRequiredService<PostgresDatabase>(),
            provider.GetRequiredService<IOptions<StorageOptions>>().Value.BlobCommitGrace));
        services.AddSingleton<IBlobStore>(provider => provider.GetRequiredService<SharedBlobStore>());
        services.AddSingleton<ICatalog, PostgresCatalog>();
        services.AddSingleton<IUploadStore, PostgresUploadStore>();
        services.AddSingleton<IJobStore, PostgresJobStore>();
        services.AddSingleton<PostgresJobNotifications>();
    }

    /// <summary>True for cluster mode. Throws <see cref="ServerConfigurationException"/> for settings that cannot work.</summary>
    public static bool Validate(StorageOptions settings)
    {
        bool postgres = !string.IsNullOrWhiteSpace(settings.PostgreSql);
        bool blobRoot = !string.IsNullOrWhiteSpace(settings.BlobRoot);
        if (!postgres)
        {
            if (blobRoot)
            {
                throw new ServerConfigurationException(
                    "Storage:BlobRoot (--blob-root) is for cluster mode and needs Storage:PostgreSql (--postgres) too: the replicas sharing the " +
                    "blob root must share one catalog. Without PostgreSQL, blobs live in the data directory (--data-dir).");
            }

            return false;
        }

        PostgresDatabase.Validate(settings.PostgreSql);
        if (!blobRoot)
        {
            throw new ServerConfigurationException(
                "Storage:PostgreSql (--postgres) needs Storage:BlobRoot (--blob-root): a directory every replica mounts, where the blobs the catalog refers to live.");
        }

        if (!Path.IsPathFullyQualified(settings.BlobRoot))
        {
            throw new ServerConfigurationException($"Storage:BlobRoot (--blob-root) '{settings.BlobRoot}' is not an absolute path; every replica must name the same mount.");
        }

        // Not created when missing: an unmounted share would otherwise silently become a local directory.
        if (!Directory.Exists(settings.BlobRoot))
        {
            throw new ServerConfigurationException($"Storage:BlobRoot (--blob-root) '{settings.BlobRoot}' does not exist. Mount the shared directory (or create it) first.");
        }

        if (settings.BlobCommitGrace <= TimeSpan.Zero)
        {
            throw new ServerConfigurationException($"Storage:BlobCommitGrace must be positive (default {OptionDefaults.BlobCommitGraceHours} hours).");
        }

        return true;
    }
}

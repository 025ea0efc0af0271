using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Tests.Infrastructure;
using Disco.Geo.Server.Tests.Storage.Backends;

namespace Disco.Geo.Server.Tests.Storage;

/// <summary><see cref="JobStoreContract"/> on the real PostgreSQL store (cluster mode), one fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJobStoreContractTests(PostgresFixture postgres) : JobStoreContract
{
    private readonly string _sharedRoot = Temp.Directory("blob-root");
    private StoreSet? _stores;

    internal override async Task<IJobStore> CreateStoreAsync(TimeProvider time)
    {
        _stores = await StoreSet.PostgresAsync(await postgres.Server.CreateDatabaseAsync(), _sharedRoot, time, ownsSharedRoot: true);
        return _stores.Jobs;
    }

    protected override async Task DisposeStoreAsync()
    {
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
    }
}

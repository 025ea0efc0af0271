namespace Disco.Geo.Server.Tests.Storage.Backends;

/// <summary>
/// A store contract run against each real backend: every test gets a fresh <see cref="StoreSet"/> from the backend's
/// <see cref="CreateAsync"/>, disposed after it.
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    private StoreSet? _stores;

    private protected StoreSet Stores => _stores!;

    public async Task InitializeAsync() => _stores = await CreateAsync();

    public async Task DisposeAsync()
    {
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
    }

    private protected abstract Task<StoreSet> CreateAsync();
}

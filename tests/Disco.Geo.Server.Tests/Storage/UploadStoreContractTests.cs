using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Disco.Geo.Server.Tests.Infrastructure;
using Disco.Geo.Server.Tests.Storage.Backends;

namespace Disco.Geo.Server.Tests.Storage;

/// <summary>
/// The contract of <see cref="IUploadStore"/>, run against each real backend: the same file announced again resumes
/// the same session, one stream at a time holds it, and clean-up drops part files no session owns.
/// </summary>
public abstract class UploadStoreContractTests : StoreContractTests
{
    private static readonly UploadHeaderRecord Header = new() { Name = "scene", SizeBytes = 1000, Sha256 = new string('b', 64) };

    [Fact]
    public async Task The_same_file_announced_again_resumes_its_session()
    {
        Assert.Null(await Stores.Uploads.FindAsync(Header.Name, Header.SizeBytes, Header.Sha256, CancellationToken.None));

        UploadSession first = await Stores.Uploads.GetOrCreateAsync(Header, CancellationToken.None);
        UploadSession again = await Stores.Uploads.GetOrCreateAsync(Header, CancellationToken.None);

        Assert.Equal(first.Id, again.Id);
        Assert.Equal(Stores.Directory.UploadRoot, Path.GetDirectoryName(first.PartPath));
        Assert.Equal(first.Id, (await Stores.Uploads.FindAsync(Header.Name, Header.SizeBytes, Header.Sha256, CancellationToken.None))!.Id);
        Assert.NotEqual(first.Id, (await Stores.Uploads.GetOrCreateAsync(new UploadHeaderRecord(Header) { SizeBytes = 999 }, CancellationToken.None)).Id);
    }

    [Fact]
    public async Task One_stream_at_a_time_holds_an_upload()
    {
        UploadSession session = await Stores.Uploads.GetOrCreateAsync(Header, CancellationToken.None);

        IAsyncDisposable? claim = await Stores.Uploads.TryAcquireAsync(session.Id, CancellationToken.None);
        Assert.NotNull(claim);
        Assert.Null(await Stores.Uploads.TryAcquireAsync(session.Id, CancellationToken.None));

        await claim.DisposeAsync();
        IAsyncDisposable? next = await Stores.Uploads.TryAcquireAsync(session.Id, CancellationToken.None);
        Assert.NotNull(next);
        await next.DisposeAsync();
    }

    [Fact]
    public async Task Clean_up_keeps_live_sessions_and_drops_part_files_without_one()
    {
        UploadSession live = await Stores.Uploads.GetOrCreateAsync(Header, CancellationToken.None);
        await File.WriteAllBytesAsync(live.PartPath, [1, 2, 3]);
        string orphan = Path.Combine(Stores.Directory.UploadRoot, Ids.New(Ids.Upload) + ".part");
        await File.WriteAllBytesAsync(orphan, [4]);

        Assert.Equal(0, await Stores.Uploads.CleanUpAsync(TimeSpan.FromDays(1), CancellationToken.None));

        Assert.Equal(3, live.CommittedBytes);
        Assert.False(File.Exists(orphan));

        await Stores.Uploads.RemoveAsync(live.Id, CancellationToken.None);
        Assert.False(File.Exists(live.PartPath));
        Assert.Null(await Stores.Uploads.FindAsync(Header.Name, Header.SizeBytes, Header.Sha256, CancellationToken.None));
    }
}

/// <summary>The upload store contract on SQLite and the data directory.</summary>
public sealed class SqliteUploadStoreContractTests : UploadStoreContractTests
{
    private protected override Task<StoreSet> CreateAsync() => StoreSet.SqliteAsync(TimeProvider.System);
}

/// <summary>The upload store contract on PostgreSQL, with part files under the shared blob root.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresUploadStoreContractTests(PostgresFixture postgres) : UploadStoreContractTests
{
    private protected override async Task<StoreSet> CreateAsync() =>
        await StoreSet.PostgresAsync(await postgres.Server.CreateDatabaseAsync(), Temp.Directory("blob-root"), TimeProvider.System, ownsSharedRoot: true);
}

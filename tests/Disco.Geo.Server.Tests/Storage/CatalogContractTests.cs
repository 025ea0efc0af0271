using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Disco.Geo.Server.Tests.Infrastructure;
using Disco.Geo.Server.Tests.Storage.Backends;

namespace Disco.Geo.Server.Tests.Storage;

/// <summary>
/// The contract of <see cref="ICatalog"/> with its <see cref="IBlobStore"/>, run against each real backend: records
/// are found by id or name and listed in id order, a taken name is refused, and a blob lives exactly as long as a
/// record refers to it.
/// </summary>
public abstract class CatalogContractTests : StoreContractTests
{
    [Fact]
    public async Task Datasets_are_found_by_id_or_name_and_listed_in_id_order_by_page_and_prefix()
    {
        DatasetRecord first = (await CommitDatasetAsync("alpha-1", [1, 2, 3]))!;
        DatasetRecord second = (await CommitDatasetAsync("alpha_2", [4, 5]))!;
        await CommitDatasetAsync("beta", [6]);

        Assert.Equal("alpha-1", (await Stores.Catalog.FindDatasetAsync(first.Id, CancellationToken.None))!.Name);
        Assert.Equal(second.Id, (await Stores.Catalog.FindDatasetAsync("alpha_2", CancellationToken.None))!.Id);
        Assert.Null(await Stores.Catalog.FindDatasetAsync("gamma", CancellationToken.None));

        RecordPage<DatasetRecord> page = await Stores.Catalog.ListDatasetsAsync(new CatalogQuery(null, 1) { NamePrefix = "alpha" }, CancellationToken.None);
        Assert.Equal(first.Id, Assert.Single(page.Items).Id);
        Assert.True(page.More);
        page = await Stores.Catalog.ListDatasetsAsync(new CatalogQuery(first.Id, 1) { NamePrefix = "alpha" }, CancellationToken.None);
        Assert.Equal(second.Id, Assert.Single(page.Items).Id);
        Assert.False(page.More);
        // A prefix is literal text: '_' is no wildcard.
        Assert.Equal(second.Id, Assert.Single((await Stores.Catalog.ListDatasetsAsync(new CatalogQuery(null, 10) { NamePrefix = "alpha_" }, CancellationToken.None)).Items).Id);
        Assert.Equal(3, (await Stores.Catalog.ListDatasetsAsync(new CatalogQuery(null, 10) { DatasetKind = DatasetRecordKind.RawFile }, CancellationToken.None)).Items.Count);
        Assert.Empty((await Stores.Catalog.ListDatasetsAsync(new CatalogQuery(null, 10) { DatasetKind = DatasetRecordKind.Gridded }, CancellationToken.None)).Items);
    }

    [Fact]
    public async Task A_taken_name_is_refused_and_the_blob_it_brought_is_dropped()
    {
        DatasetRecord kept = (await CommitDatasetAsync("same", [1, 1, 1]))!;

        Assert.Null(await CommitDatasetAsync("same", [2, 2, 2]));

        Assert.True(Stores.Blobs.Exists(kept.Blob.Sha256));
        Assert.Equal(kept.Blob.Sha256, (await Stores.Catalog.FindDatasetAsync("same", CancellationToken.None))!.Blob.Sha256);
        Assert.Single(Directory.EnumerateFiles(Stores.Directory.BlobRoot, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Shared_content_is_freed_with_its_last_record_only()
    {
        DatasetRecord one = (await CommitDatasetAsync("one", [7, 7, 7, 7]))!;
        DatasetRecord two = (await CommitDatasetAsync("two", [7, 7, 7, 7]))!;
        Assert.Equal(one.Blob.Sha256, two.Blob.Sha256);

        Assert.Equal(0, await Stores.Catalog.DeleteDatasetAsync(one.Id, CancellationToken.None));
        Assert.True(Stores.Blobs.Exists(two.Blob.Sha256));
        Assert.Equal(4, await Stores.Catalog.DeleteDatasetAsync(two.Id, CancellationToken.None));
        Assert.False(Stores.Blobs.Exists(two.Blob.Sha256));
        Assert.Null(await Stores.Catalog.DeleteDatasetAsync(two.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Models_and_predictions_round_trip_and_a_pending_prediction_gets_its_blob_later()
    {
        var model = new ModelRecord { Id = Ids.New(Ids.Model), Name = "m" };
        BlobRecord? modelBlob = await Stores.Blobs.CommitAsync(Stores.WriteTempFile([9, 9]), null, blob =>
        {
            model.Blob = blob;
            return Stores.Catalog.TryInsertModelAsync(model, CancellationToken.None);
        }, CancellationToken.None);
        Assert.NotNull(modelBlob);
        Assert.Equal(model.Id, (await Stores.Catalog.FindModelAsync("m", CancellationToken.None))!.Id);

        var prediction = new PredictionRecord { Id = Ids.New(Ids.Prediction), Name = "p", ModelId = model.Id, RequestId = "req-1" };
        await Stores.Catalog.SavePredictionAsync(prediction, CancellationToken.None);
        Assert.Equal(prediction.Id, Assert.Single((await Stores.Catalog.ListPredictionsAsync(new CatalogQuery(null, 10) { RequestId = "req-1" }, CancellationToken.None)).Items).Id);

        await Stores.Blobs.CommitAsync(Stores.WriteTempFile([5, 6, 7]), null, async blob =>
        {
            prediction.Blob = blob;
            await Stores.Catalog.SavePredictionAsync(prediction, CancellationToken.None);
            return true;
        }, CancellationToken.None);
        PredictionRecord stored = Assert.Single((await Stores.Catalog.ListPredictionsAsync(new CatalogQuery(null, 10) { ModelId = model.Id }, CancellationToken.None)).Items);
        Assert.Equal(prediction.Blob.Sha256, stored.Blob.Sha256);

        Assert.Equal(3, await Stores.Catalog.DeletePredictionAsync(prediction.Id, CancellationToken.None));
        Assert.Equal(2, await Stores.Catalog.DeleteModelAsync(model.Id, CancellationToken.None));
        Assert.Empty(Directory.EnumerateFiles(Stores.Directory.BlobRoot, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Garbage_collection_removes_a_blob_no_record_refers_to_and_keeps_the_others()
    {
        DatasetRecord kept = (await CommitDatasetAsync("kept", [1, 2]))!;
        // What a crash between placing a blob and inserting its record leaves behind.
        string orphan = Stores.Blobs.PathOf(new string('a', 64));
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        await File.WriteAllBytesAsync(orphan, [3]);

        Assert.Equal(1, await Stores.Blobs.CollectGarbageAsync(CancellationToken.None));

        Assert.False(File.Exists(orphan));
        Assert.True(Stores.Blobs.Exists(kept.Blob.Sha256));
    }

    [Fact]
    public async Task A_time_stack_keeps_its_steps_and_a_record_written_before_time_stacks_reads_as_one_sample()
    {
        DateTime[] months = [new(1, 1, 16, 6, 0, 0, DateTimeKind.Utc), new(1, 2, 15, 16, 29, 6, DateTimeKind.Utc)];
        DatasetRecord stack = (await CommitDatasetAsync("stack", [1, 2], d =>
        {
            d.Kind = DatasetRecordKind.Gridded;
            d.TimeSteps.Add(months.Select(Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime));
        }))!;
        Assert.Equal(months, (await Stores.Catalog.FindDatasetAsync(stack.Id, CancellationToken.None))!.TimeSteps.Select(t => t.ToDateTime()));

        // A record as the catalog held it before time stacks (fields 1..12 only) reads as one sample: no steps.
        DatasetRecord old = (await CommitDatasetAsync("old", [3]))!;
        DatasetRecord read = (await Stores.Catalog.FindDatasetAsync("old", CancellationToken.None))!;
        Assert.Empty(read.TimeSteps);
        Assert.Equal(old, read);
    }

    private protected async Task<DatasetRecord?> CommitDatasetAsync(string name, byte[] content, Action<DatasetRecord>? shape = null)
    {
        var dataset = new DatasetRecord { Id = Ids.New(Ids.Dataset), Name = name, Kind = DatasetRecordKind.RawFile };
        shape?.Invoke(dataset);
        BlobRecord? blob = await Stores.Blobs.CommitAsync(Stores.WriteTempFile(content), null, committed =>
        {
            dataset.Blob = committed;
            return Stores.Catalog.TryInsertDatasetAsync(dataset, CancellationToken.None);
        }, CancellationToken.None);
        return blob is null ? null : dataset;
    }
}

/// <summary>The catalog contract on SQLite and the data directory.</summary>
public sealed class SqliteCatalogContractTests : CatalogContractTests
{
    private protected override Task<StoreSet> CreateAsync() => StoreSet.SqliteAsync(TimeProvider.System);
}

/// <summary>The catalog contract on PostgreSQL and a shared blob root.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresCatalogContractTests(PostgresFixture postgres) : CatalogContractTests
{
    private protected override async Task<StoreSet> CreateAsync() =>
        await StoreSet.PostgresAsync(await postgres.Server.CreateDatabaseAsync(), Temp.Directory("blob-root"), TimeProvider.System, ownsSharedRoot: true);
}

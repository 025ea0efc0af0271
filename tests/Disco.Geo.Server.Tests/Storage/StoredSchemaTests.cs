using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Disco.Geo.Server.Tests.Infrastructure;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Disco.Geo.Server.Tests.Storage;

/// <summary>
/// The stored schema (disco.geo.storage.v1) keeps existing databases readable: its messages match the v1 messages
/// that databases were written with, field for field, so old rows read as they are and new rows are the same bytes;
/// the Api mapping between the two loses nothing.
/// </summary>
public sealed class StoredSchemaTests
{
    public static TheoryData<string, string> StoredMessages => new()
    {
        { DatasetRecord.Descriptor.FullName, Dataset.Descriptor.FullName },
        { ModelRecord.Descriptor.FullName, Model.Descriptor.FullName },
        { PredictionRecord.Descriptor.FullName, Prediction.Descriptor.FullName },
        { JobRecord.Descriptor.FullName, Job.Descriptor.FullName },
        { UploadHeaderRecord.Descriptor.FullName, UploadHeader.Descriptor.FullName },
        { VerifyReportRecord.Descriptor.FullName, VerifyReport.Descriptor.FullName },
        { JobSpecRecord.Descriptor.FullName, Any.Descriptor.FullName },
    };

    private static readonly IReadOnlyDictionary<string, MessageDescriptor> Messages = new[]
    {
        DatasetRecord.Descriptor, ModelRecord.Descriptor, PredictionRecord.Descriptor, JobRecord.Descriptor, UploadHeaderRecord.Descriptor,
        VerifyReportRecord.Descriptor, JobSpecRecord.Descriptor, Dataset.Descriptor, Model.Descriptor, Prediction.Descriptor, Job.Descriptor,
        UploadHeader.Descriptor, VerifyReport.Descriptor, Any.Descriptor,
    }.ToDictionary(d => d.FullName);

    [Theory]
    [MemberData(nameof(StoredMessages))]
    public void Every_stored_message_has_the_fields_of_the_wire_message_it_was_written_as(string stored, string wire) =>
        AssertSameLayout(Messages[stored], Messages[wire], stored);

    [Fact]
    public void Records_are_the_same_bytes_as_the_wire_messages_and_map_back_unchanged()
    {
        Dataset dataset = FullDataset();
        Prediction prediction = FullPrediction();
        Job job = FullJob();
        Model model = new() { Id = "mdl_1", Name = "m", Blob = new BlobInfo { Sha256 = "ab", SizeBytes = 3 }, CardJson = "{}", Classes = { new ModelClass { Id = 1, Name = "water", Color = "#00f" } }, Metrics = { ["iou"] = 0.5 } };

        Assert.Equal(dataset.ToByteArray(), dataset.ToRecord().ToByteArray());
        Assert.Equal(prediction.ToByteArray(), prediction.ToRecord().ToByteArray());
        Assert.Equal(job.ToByteArray(), job.ToRecord().ToByteArray());
        Assert.Equal(model.ToByteArray(), model.ToRecord().ToByteArray());
        Assert.Equal(dataset, dataset.ToRecord().ToApi());
        Assert.Equal(prediction, prediction.ToRecord().ToApi());
        Assert.Equal(job, job.ToRecord().ToApi());
        Assert.Equal(model, model.ToRecord().ToApi());
        Assert.Equal(JobState.Interrupted, JobState.Interrupted.ToRecord().ToApi());
        Assert.Equal(JobKind.Verify, JobKind.Verify.ToRecord().ToApi());
    }

    [Fact]
    public void A_job_spec_reads_back_as_the_request_it_was_stored_from_and_compares_by_meaning()
    {
        var request = new StartTrainingRequest { ModelName = "m", Datasets = { "ds_1" }, RequestId = "r" };
        JobSpecRecord stored = JobSpecs.Of(request).ToRecord();

        // The layout of google.protobuf.Any, as every existing jobs.spec row is.
        Assert.Equal(Any.Pack(request).ToByteArray(), stored.ToByteArray());
        Assert.Equal(request, JobSpecs.Read<StartTrainingRequest>(stored));
        Assert.True(JobSpecs.Of(request.Clone()).IsSameRequest(stored));
        Assert.False(JobSpecs.Of(new StartTrainingRequest { ModelName = "other" }).IsSameRequest(stored));
        Assert.False(JobSpecs.TryRead(stored, out PredictRequest _));
        Assert.True(JobSpecs.TryRead(stored, out StartTrainingRequest again));
        Assert.Equal(request, again);
    }

    /// <summary>
    /// A database as the server before the stored schema wrote it (schema version 1, rows holding v1 messages, no job
    /// leases) is upgraded in place and read by the stores as it is.
    /// </summary>
    [Fact]
    public async Task A_database_written_with_the_wire_messages_reads_through_the_stores()
    {
        string root = Temp.Directory("old-db");
        try
        {
            Dataset dataset = FullDataset();
            Prediction prediction = FullPrediction();
            Job job = FullJob();
            var spec = new PredictRequest { Model = "mdl_1", Dataset = dataset.Id };
            using (var directory = new DataDirectory(root))
            {
                await WriteVersionOneDatabaseAsync(directory, dataset, prediction, job, spec);
            }

            using (var directory = new DataDirectory(root))
            {
                var database = new MetadataDatabase(directory);
                await database.InitializeAsync(CancellationToken.None);
                var blobs = new LocalBlobStore(directory, database);
                var catalog = new SqliteCatalog(database, blobs);
                var jobs = new SqliteJobStore(database, new FakeTimeProvider());

                Assert.Equal(dataset, (await catalog.FindDatasetAsync(dataset.Name, CancellationToken.None))!.ToApi());
                Assert.Equal(prediction, (await catalog.FindPredictionAsync(prediction.Id, CancellationToken.None))!.ToApi());
                Assert.Equal(prediction.Id, Assert.Single((await catalog.ListPredictionsAsync(new CatalogQuery(null, 10) { RequestId = prediction.RequestId }, CancellationToken.None)).Items).Id);
                Assert.Equal(job, (await jobs.GetAsync(job.Id, CancellationToken.None))!.ToApi());
                Assert.Equal(spec, JobSpecs.Read<PredictRequest>(await jobs.GetSpecAsync(job.Id, CancellationToken.None)));
                // The queue's columns exist on the migrated row: a failed job takes no cancel, and nobody holds its lease.
                Assert.False(await jobs.RequestCancelAsync(job.Id, CancellationToken.None));
                Assert.False(await jobs.SaveCheckpointAsync(job.Id, new JobLease("nobody", 0), [1], CancellationToken.None));

                await using SqliteConnection connection = await database.OpenAsync(CancellationToken.None);
                Assert.Equal(4L, await MetadataDatabase.ScalarAsync(connection, "PRAGMA user_version;", CancellationToken.None));
            }
        }
        finally
        {
            Temp.Delete(root);
        }
    }

    private static async Task WriteVersionOneDatabaseAsync(DataDirectory directory, Dataset dataset, Prediction prediction, Job job, PredictRequest spec)
    {
        await using var connection = new SqliteConnection($"Data Source={directory.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        // Migration 1 exactly as the server before the stored schema shipped it.
        command.CommandText = """
            CREATE TABLE datasets (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind INTEGER NOT NULL, blob_sha256 TEXT NOT NULL, record BLOB NOT NULL);
            CREATE TABLE models (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, blob_sha256 TEXT NOT NULL, record BLOB NOT NULL);
            CREATE TABLE predictions (id TEXT PRIMARY KEY, name TEXT NOT NULL, model_id TEXT NOT NULL, request_id TEXT, blob_sha256 TEXT, record BLOB NOT NULL);
            CREATE INDEX predictions_request ON predictions(request_id);
            CREATE TABLE jobs (id TEXT PRIMARY KEY, kind INTEGER NOT NULL, state INTEGER NOT NULL, request_id TEXT UNIQUE, spec BLOB NOT NULL, checkpoint BLOB, record BLOB NOT NULL);
            CREATE INDEX jobs_state ON jobs(state);
            CREATE TABLE uploads (id TEXT PRIMARY KEY, name TEXT NOT NULL, size_bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, header BLOB NOT NULL, update_time INTEGER NOT NULL, UNIQUE (name, size_bytes, sha256));
            PRAGMA user_version = 1;
            INSERT INTO datasets (id, name, kind, blob_sha256, record) VALUES ($did, $dname, $dkind, $dsha, $drec);
            INSERT INTO predictions (id, name, model_id, request_id, blob_sha256, record) VALUES ($pid, $pname, $pmodel, $preq, $psha, $prec);
            INSERT INTO jobs (id, kind, state, request_id, spec, record) VALUES ($jid, $jkind, $jstate, $jreq, $jspec, $jrec);
            """;
        command.Parameters.AddWithValue("$did", dataset.Id);
        command.Parameters.AddWithValue("$dname", dataset.Name);
        command.Parameters.AddWithValue("$dkind", (int)dataset.Kind);
        command.Parameters.AddWithValue("$dsha", dataset.Blob.Sha256);
        command.Parameters.AddWithValue("$drec", dataset.ToByteArray());
        command.Parameters.AddWithValue("$pid", prediction.Id);
        command.Parameters.AddWithValue("$pname", prediction.Name);
        command.Parameters.AddWithValue("$pmodel", prediction.ModelId);
        command.Parameters.AddWithValue("$preq", prediction.RequestId);
        command.Parameters.AddWithValue("$psha", prediction.Blob.Sha256);
        command.Parameters.AddWithValue("$prec", prediction.ToByteArray());
        command.Parameters.AddWithValue("$jid", job.Id);
        command.Parameters.AddWithValue("$jkind", (int)job.Kind);
        command.Parameters.AddWithValue("$jstate", (int)job.State);
        command.Parameters.AddWithValue("$jreq", job.RequestId);
        command.Parameters.AddWithValue("$jspec", Any.Pack(spec).ToByteArray());
        command.Parameters.AddWithValue("$jrec", job.ToByteArray());
        await command.ExecuteNonQueryAsync();
    }

    private static Dataset FullDataset() => new()
    {
        Id = Ids.New(Ids.Dataset),
        Name = "elevation",
        Kind = DatasetKind.Gridded,
        Blob = new BlobInfo { Sha256 = new string('a', 64), SizeBytes = 1234 },
        FileName = "etopo.tif",
        Grid = new Grid { Kind = GridKind.LegendreGauss, Nlat = 32, Nlon = 64, LonOriginDegrees = -180 },
        Bands = { new Band { Name = "z", Role = BandRole.Label, SourceBand = 2, Resampling = Resampling.Bilinear, Description = "height" } },
        ProvenanceJson = "{\"source\":\"etopo\"}",
        SourceDatasetId = "ds_0",
        Labels = { ["team"] = "geo", ["tier"] = "gold" },
        CreateTime = Timestamp.FromDateTime(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)),
        Description = "a test dataset",
    };

    private static Prediction FullPrediction() => new()
    {
        Id = Ids.New(Ids.Prediction),
        Name = "flood-map",
        ModelId = "mdl_1",
        InputDescription = "dataset elevation",
        State = PredictionState.Succeeded,
        JobId = "job_1",
        Grid = new Grid { Kind = GridKind.Equiangular, Nlat = 8, Nlon = 16 },
        Bands = { new Band { Name = "class", Role = BandRole.Label } },
        Blob = new BlobInfo { Sha256 = new string('b', 64), SizeBytes = 99 },
        Summary = new PredictionSummary
        {
            ClassAreas = { new ClassArea { ClassId = 1, ClassName = "water", AreaKm2 = 12.5, Fraction = 0.25 } },
            Statistics = { new BandStatistics { Band = "class", Min = 0, Max = 1, Mean = 0.5, Stddev = 0.1 } },
            Seconds = 1.5,
            Metrics = { ["iou"] = 0.75 },
        },
        RequestId = "req-1",
        CreateTime = Timestamp.FromDateTime(new DateTime(2026, 1, 2, 3, 4, 6, DateTimeKind.Utc)),
    };

    private static Job FullJob() => new()
    {
        Id = Ids.New(Ids.Job),
        Kind = JobKind.Prediction,
        State = JobState.Failed,
        Priority = 3,
        Device = "cuda:0",
        Description = "predict",
        Progress = new JobProgress { Fraction = 0.5, Stage = "epoch", Message = "half", Step = 5, TotalSteps = 10, Epoch = 1, TotalEpochs = 2, Metrics = { ["loss"] = 0.3 }, Throughput = 2, ThroughputUnit = "rows/s", Eta = Duration.FromTimeSpan(TimeSpan.FromSeconds(30)) },
        Error = new JobError { Code = 9, Message = "no" },
        Result = new JobResult { Verify = new VerifyReport { BlobsChecked = 1, BytesChecked = 2, CorruptSha256 = { "x" } } },
        CreateTime = Timestamp.FromDateTime(new DateTime(2026, 1, 2, 3, 4, 7, DateTimeKind.Utc)),
        StartTime = Timestamp.FromDateTime(new DateTime(2026, 1, 2, 3, 4, 8, DateTimeKind.Utc)),
        EndTime = Timestamp.FromDateTime(new DateTime(2026, 1, 2, 3, 4, 9, DateTimeKind.Utc)),
        Attempt = 2,
        Resumable = true,
        Revision = 42,
        RequestId = "predict:req-1",
        Inputs = { "ds_1", "mdl_1" },
    };

    /// <summary>Same numbers, names, types and cardinality for every field, recursively for messages, and the same enum values.</summary>
    private static void AssertSameLayout(MessageDescriptor stored, MessageDescriptor wire, string path)
    {
        Assert.True(
            stored.Fields.InFieldNumberOrder().Select(f => f.FieldNumber).SequenceEqual(wire.Fields.InFieldNumberOrder().Select(f => f.FieldNumber)),
            $"{path}: field numbers differ from {wire.FullName}");
        foreach (FieldDescriptor field in stored.Fields.InFieldNumberOrder())
        {
            FieldDescriptor other = wire.FindFieldByNumber(field.FieldNumber);
            string at = $"{path}.{field.Name}";
            Assert.True(field.Name == other.Name, $"{at}: named {other.Name} on the wire");
            Assert.True(field.FieldType == other.FieldType, $"{at}: {field.FieldType} vs {other.FieldType}");
            Assert.True(field.IsRepeated == other.IsRepeated && field.IsMap == other.IsMap, $"{at}: cardinality differs");
            Assert.True(field.RealContainingOneof?.Name == other.RealContainingOneof?.Name, $"{at}: oneof differs");
            if (field.FieldType == FieldType.Enum)
            {
                Assert.True(
                    field.EnumType.Values.Select(v => v.Number).SequenceEqual(other.EnumType.Values.Select(v => v.Number)),
                    $"{at}: enum values differ from {other.EnumType.FullName}");
            }
            else if (field.FieldType == FieldType.Message && field.MessageType.File.Package == stored.File.Package)
            {
                AssertSameLayout(field.MessageType, other.MessageType, at);
            }
            else if (field.FieldType == FieldType.Message)
            {
                // Well-known types (Timestamp, Duration) are shared, not copied.
                Assert.True(field.MessageType.FullName == other.MessageType.FullName, $"{at}: {field.MessageType.FullName} vs {other.MessageType.FullName}");
            }
        }
    }
}

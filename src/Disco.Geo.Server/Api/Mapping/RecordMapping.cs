using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf;

namespace Disco.Geo.Server.Api.Mapping;

/// <summary>
/// Wire messages (disco.geo.v1) to stored records (disco.geo.storage.v1) and back.
/// </summary>
/// <remarks>
/// The stored schema is a copy of the v1 messages with the same field numbers and types (Storage/Records/records.proto;
/// StoredSchemaTests compares the descriptors field by field). While the two agree, a record is the same bytes as the
/// message, so mapping re-parses them: nothing can be forgotten when a field is added to both. When the wire API
/// changes a message, its mapping here becomes field by field and the stored schema stays as it is.
/// </remarks>
internal static class RecordMapping
{
    public static DatasetRecord ToRecord(this Dataset dataset) => Convert(dataset, DatasetRecord.Parser);

    public static Dataset ToApi(this DatasetRecord dataset) => Convert(dataset, Dataset.Parser);

    public static ModelRecord ToRecord(this Model model) => Convert(model, ModelRecord.Parser);

    public static Model ToApi(this ModelRecord model) => Convert(model, Model.Parser);

    public static PredictionRecord ToRecord(this Prediction prediction) => Convert(prediction, PredictionRecord.Parser);

    public static Prediction ToApi(this PredictionRecord prediction) => Convert(prediction, Prediction.Parser);

    public static PredictionSummaryRecord ToRecord(this PredictionSummary summary) => Convert(summary, PredictionSummaryRecord.Parser);

    public static PredictionSummary ToApi(this PredictionSummaryRecord summary) => Convert(summary, PredictionSummary.Parser);

    public static GridRecord ToRecord(this Grid grid) => Convert(grid, GridRecord.Parser);

    public static Grid ToApi(this GridRecord grid) => Convert(grid, Grid.Parser);

    public static BandRecord ToRecord(this Band band) => Convert(band, BandRecord.Parser);

    public static Band ToApi(this BandRecord band) => Convert(band, Band.Parser);

    public static BlobInfo ToApi(this BlobRecord blob) => Convert(blob, BlobInfo.Parser);

    public static UploadHeaderRecord ToRecord(this UploadHeader header) => Convert(header, UploadHeaderRecord.Parser);

    public static Job ToApi(this JobRecord job) => Convert(job, Job.Parser);

    public static JobRecord ToRecord(this Job job) => Convert(job, JobRecord.Parser);

    public static JobProgress ToApi(this JobProgressRecord progress) => Convert(progress, JobProgress.Parser);

    public static JobResultRecord ToRecord(this JobResult result) => Convert(result, JobResultRecord.Parser);

    public static JobResult ToApi(this JobResultRecord result) => Convert(result, JobResult.Parser);

    public static VerifyReport ToApi(this VerifyReportRecord report) => Convert(report, VerifyReport.Parser);

    public static JobRecordKind ToRecord(this JobKind kind) => (JobRecordKind)(int)kind;

    public static JobKind ToApi(this JobRecordKind kind) => (JobKind)(int)kind;

    public static JobRecordState ToRecord(this JobState state) => (JobRecordState)(int)state;

    public static JobState ToApi(this JobRecordState state) => (JobState)(int)state;

    public static DatasetRecordKind ToRecord(this DatasetKind kind) => (DatasetRecordKind)(int)kind;

    public static PredictionRecordState ToRecord(this PredictionState state) => (PredictionRecordState)(int)state;

    public static PredictionState ToApi(this PredictionRecordState state) => (PredictionState)(int)state;

    private static TTarget Convert<TTarget>(IMessage source, MessageParser<TTarget> parser)
        where TTarget : IMessage<TTarget> => parser.ParseFrom(source.ToByteString());
}

using System.Diagnostics;
using System.Security.Cryptography;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using StatusCode = Disco.Geo.Server.Problems.ProblemKind;

namespace Disco.Geo.Server.Jobs.Handlers;

/// <summary>
/// Re-reads the blobs of a dataset or model and checks their SHA-256 (a scrub). Runs on the "io" lane at an optional
/// byte rate so it does not starve other work; checkpoints after each blob, so a resumed scrub skips what it checked.
/// </summary>
internal sealed class VerifyJobHandler : IJobHandler
{
    public const string Lane = "io";
    private const int BlockBytes = 1 << 20;
    private readonly ICatalog _catalog;
    private readonly IBlobStore _blobs;
    private readonly IJobSpecReader _specs;
    private readonly StorageOptions _options;

    public VerifyJobHandler(ICatalog catalog, IBlobStore blobs, IJobSpecReader specs, IOptions<StorageOptions> options)
    {
        _catalog = catalog;
        _blobs = blobs;
        _specs = specs;
        _options = options.Value;
    }

    public JobRecordKind Kind => JobRecordKind.Verify;

    public bool Exclusive => false;

    public async Task<JobResultRecord> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        List<BlobRecord> blobs = await BlobsOfAsync(_specs.ReadVerify(context.Spec), cancellationToken);
        VerifyReportRecord report = context.Checkpoint is { } saved ? VerifyReportRecord.Parser.ParseFrom(saved) : new VerifyReportRecord();
        long totalBytes = blobs.Sum(b => b.SizeBytes);
        long doneBytes = blobs.Take(report.BlobsChecked).Sum(b => b.SizeBytes);
        var clock = Stopwatch.StartNew();
        long bytesThisRun = 0;
        byte[] buffer = new byte[BlockBytes];
        for (int i = report.BlobsChecked; i < blobs.Count; i++)
        {
            BlobRecord blob = blobs[i];
            string path = _blobs.PathOf(blob.Sha256);
            bool intact = false;
            if (File.Exists(path))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                await using FileStream stream = _blobs.OpenRead(blob.Sha256);
                int read;
                while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    doneBytes += read;
                    bytesThisRun += read;
                    await ThrottleAsync(bytesThisRun, clock, cancellationToken);
                    double rate = bytesThisRun / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
                    context.Report(new JobProgressRecord
                    {
                        Fraction = totalBytes == 0 ? 1 : (double)doneBytes / totalBytes,
                        Stage = "hashing",
                        Message = $"Blob {i + 1} of {blobs.Count}: {doneBytes / (1024.0 * 1024):F1} of {totalBytes / (1024.0 * 1024):F1} MiB",
                        Step = doneBytes,
                        TotalSteps = totalBytes,
                        Throughput = rate / (1024 * 1024),
                        ThroughputUnit = "MiB/s",
                        Eta = Duration.FromTimeSpan(TimeSpan.FromSeconds((totalBytes - doneBytes) / Math.Max(rate, 1))),
                    });
                }

                intact = Convert.ToHexStringLower(hash.GetHashAndReset()) == blob.Sha256;
            }

            if (!intact)
            {
                report.CorruptSha256.Add(blob.Sha256);
            }

            report.BlobsChecked = i + 1;
            report.BytesChecked += blob.SizeBytes;
            await context.SaveCheckpointAsync(report.ToByteArray(), cancellationToken);
        }

        if (report.CorruptSha256.Count > 0)
        {
            throw new JobFailedException(StatusCode.DataLoss,
                $"{report.CorruptSha256.Count} of {blobs.Count} blobs are missing or do not match their SHA-256 ({string.Join(", ", report.CorruptSha256)}). Delete the affected records and upload the files again.");
        }

        return new JobResultRecord { Verify = report };
    }

    private async Task<List<BlobRecord>> BlobsOfAsync(VerifyJobSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Dataset is { } datasetReference)
        {
            DatasetRecord dataset = await _catalog.FindDatasetAsync(datasetReference, cancellationToken)
                ?? throw new JobFailedException(StatusCode.NotFound, $"Dataset {datasetReference} was deleted before it could be verified.");
            return [dataset.Blob];
        }

        if (spec.Model is { } modelReference)
        {
            ModelRecord model = await _catalog.FindModelAsync(modelReference, cancellationToken)
                ?? throw new JobFailedException(StatusCode.NotFound, $"Model {modelReference} was deleted before it could be verified.");
            return [model.Blob];
        }

        throw new JobFailedException(StatusCode.Internal, "The verify job's spec is neither a dataset nor a model request.");
    }

    private async Task ThrottleAsync(long bytes, Stopwatch clock, CancellationToken cancellationToken)
    {
        if (_options.VerifyBytesPerSecond <= 0)
        {
            return;
        }

        TimeSpan due = TimeSpan.FromSeconds((double)bytes / _options.VerifyBytesPerSecond);
        if (due > clock.Elapsed)
        {
            await Task.Delay(due - clock.Elapsed, cancellationToken);
        }
    }
}

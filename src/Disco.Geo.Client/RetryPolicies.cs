using Disco.Geo.Protos.V1;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client.Configuration;

namespace Disco.Geo.Client;

/// <summary>
/// Which RPCs grpc-dotnet may retry on UNAVAILABLE, as a service config. Only calls that do the same thing however
/// often they arrive are listed: a retry may reach a different replica after the first one had already acted.
/// </summary>
/// <remarks>
/// grpc-dotnet retries a call only until it is committed (response headers received, or more than its retry buffer of
/// request messages sent), so a retry never repeats a call whose answer already started. Streams that broke after
/// that point are resumed by the sub-clients themselves (downloads from the bytes received, job watches from the
/// latest state, uploads from the server's committed offset), which a retry policy cannot do.
/// </remarks>
internal static class RetryPolicies
{
    /// <summary>
    /// Reads: the same answer every time. Includes the server-streaming reads (downloads, exports, watches), which are
    /// retried when no replica answered and resumed by the sub-clients once they have.
    /// </summary>
    public static readonly IReadOnlyList<MethodName> Reads =
    [
        Method(DatasetService.Descriptor, "GetUploadStatus"),
        Method(DatasetService.Descriptor, "ListDatasets"),
        Method(DatasetService.Descriptor, "GetDataset"),
        Method(DatasetService.Descriptor, "DownloadDataset"),
        Method(DatasetService.Descriptor, "ExportDataset"),
        Method(JobService.Descriptor, "GetJob"),
        Method(JobService.Descriptor, "ListJobs"),
        Method(JobService.Descriptor, "WatchJob"),
        Method(TrainingService.Descriptor, "GetJob"),
        Method(TrainingService.Descriptor, "ListJobs"),
        Method(TrainingService.Descriptor, "WatchJob"),
        Method(PredictionService.Descriptor, "GetPrediction"),
        Method(PredictionService.Descriptor, "ListPredictions"),
        Method(PredictionService.Descriptor, "ExportPrediction"),
        Method(ModelService.Descriptor, "ListModels"),
        Method(ModelService.Descriptor, "GetModel"),
        Method(ModelService.Descriptor, "ExportModel"),
        Method(Health.Descriptor, "Check"),
    ];

    /// <summary>
    /// Calls made idempotent by their request_id, which the typed client always sets: the server returns the job
    /// already queued under that id (IngestDataset, StartTraining) or replays the finished prediction (Predict).
    /// </summary>
    public static readonly IReadOnlyList<MethodName> ByRequestId =
    [
        Method(DatasetService.Descriptor, "IngestDataset"),
        Method(TrainingService.Descriptor, "StartTraining"),
        Method(PredictionService.Descriptor, "Predict"),
    ];

    // Never retried, each for its reason: deletes (a retry after a delete that happened answers NOT_FOUND), CancelJob
    // and ResumeJob (a second call changes or refuses what the first did), VerifyDataset and VerifyModel (each call
    // queues a new job and carries no request_id), and the client-streaming UploadFile and ImportModel (their resume
    // loops in DatasetsClient and ModelsClient continue from what the server kept; a retry buffer of 1 MiB per call
    // could not replay a whole file anyway).

    /// <summary>The service config: round robin when <paramref name="balance"/>, and the retry policy unless <paramref name="options"/> allows one attempt.</summary>
    public static ServiceConfig ServiceConfig(DiscoClientOptions options, bool balance)
    {
        var config = new ServiceConfig();
        if (balance)
        {
            config.LoadBalancingConfigs.Add(new RoundRobinConfig());
        }

        if (options.MaxAttempts > 1)
        {
            var retry = new MethodConfig
            {
                RetryPolicy = new RetryPolicy
                {
                    MaxAttempts = options.MaxAttempts,
                    InitialBackoff = options.InitialBackoff,
                    MaxBackoff = options.MaxBackoff,
                    BackoffMultiplier = DiscoClientOptions.BackoffMultiplier,
                    RetryableStatusCodes = { StatusCode.Unavailable },
                },
            };
            foreach (MethodName name in Reads.Concat(ByRequestId))
            {
                retry.Names.Add(name);
            }

            config.MethodConfigs.Add(retry);
        }

        return config;
    }

    /// <summary>The name of a method that must exist, so a renamed RPC fails every client test instead of silently losing its retries.</summary>
    private static MethodName Method(ServiceDescriptor service, string method) =>
        service.FindMethodByName(method) is not null
            ? new MethodName { Service = service.FullName, Method = method }
            : throw new InvalidOperationException($"{service.FullName} has no method {method}.");
}

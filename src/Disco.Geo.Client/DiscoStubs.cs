using Disco.Geo.Protos.V1;
using Grpc.Core;
using Grpc.Health.V1;

namespace Disco.Geo.Client;

/// <summary>
/// The generated stubs over one channel. Internal: callers go through the typed sub-clients, whose retries, resumes
/// and error mapping the raw stubs skip; server tests reach these through InternalsVisibleTo to send malformed or
/// half-finished streams on purpose.
/// </summary>
internal sealed class DiscoStubs(CallInvoker invoker)
{
    public DatasetService.DatasetServiceClient Datasets { get; } = new(invoker);

    public TrainingService.TrainingServiceClient Training { get; } = new(invoker);

    public JobService.JobServiceClient Jobs { get; } = new(invoker);

    public PredictionService.PredictionServiceClient Predictions { get; } = new(invoker);

    public ModelService.ModelServiceClient Models { get; } = new(invoker);

    public Health.HealthClient Health { get; } = new(invoker);
}

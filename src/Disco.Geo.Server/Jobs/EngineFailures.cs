using Disco.Geo.Engine;
using Disco.Geo.Server.Problems;

namespace Disco.Geo.Server.Jobs;

/// <summary>How a job reports an engine's <see cref="EngineStateException"/>.</summary>
internal static class EngineFailures
{
    /// <summary>Incompatible state fails the job with FAILED_PRECONDITION, damaged state with DATA_LOSS.</summary>
    public static JobFailedException ToJobFailure(EngineStateException e) => new(
        e.Problem == EngineStateProblem.Incompatible ? ProblemKind.FailedPrecondition : ProblemKind.DataLoss, e.Message);
}

using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Jobs;

/// <summary>
/// The request a job is submitted with, as the layer that accepted it encodes it. The runner stores and compares
/// specs without reading them: only that layer and the job's handler know what is inside.
/// </summary>
internal interface IJobSpec
{
    /// <summary>The spec as stored with the job.</summary>
    JobSpecRecord ToRecord();

    /// <summary>
    /// Whether <paramref name="stored"/> (the spec of the job already submitted under the same request id) is this
    /// same request; compared by meaning, not bytes, so map fields in another order still match.
    /// </summary>
    bool IsSameRequest(JobSpecRecord stored);
}

/// <summary>Lower-case names of job kinds and states for messages, logs and metric labels ("running", "training").</summary>
internal static class JobNames
{
    public static string Of(JobRecordState state) => state.ToString().ToLowerInvariant();

    public static string Of(JobRecordKind kind) => kind.ToString().ToLowerInvariant();
}

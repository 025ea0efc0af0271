using Disco.Geo.Protos.V1;

namespace Disco.Geo.Server.Services;

/// <summary>Lower-case names of enum values for messages, logs and metric labels ("running", "training").</summary>
internal static class Names
{
    public static string Of(JobState state) => state.ToString().ToLowerInvariant();

    public static string Of(JobKind kind) => kind.ToString().ToLowerInvariant();
}

using Disco.Geo.Protos.V1;
using Google.Protobuf.Reflection;

namespace Disco.Geo.Server.Services;

/// <summary>Lower-case names of enum values for messages, logs and metric labels ("running", "training").</summary>
internal static class Names
{
    public static string Of(JobState state) => state.ToString().ToLowerInvariant();

    public static string Of(JobKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>An enum value without its type prefix, lower case with dashes: GRID_KIND_LEGENDRE_GAUSS → "legendre-gauss".</summary>
    public static string OfEnumValue(EnumDescriptor type, EnumValueDescriptor value)
    {
        string prefix = string.Concat(type.Name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant() + "_";
        string name = value.Name.StartsWith(prefix, StringComparison.Ordinal) ? value.Name[prefix.Length..] : value.Name;
        return name.ToLowerInvariant().Replace('_', '-');
    }
}

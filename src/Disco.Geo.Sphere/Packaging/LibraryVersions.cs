using System.Reflection;
using TorchSharp;

namespace Disco.Geo.Sphere.Packaging;

/// <summary>Versions of the software that writes packages, recorded in every card.</summary>
internal static class LibraryVersions
{
    public static IReadOnlyDictionary<string, string> Current() => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["disco_geo"] = Informational(typeof(LibraryVersions).Assembly),
        ["torchsharp"] = Informational(typeof(torch).Assembly),
        ["libtorch"] = torch.__version__,
        ["dotnet"] = Environment.Version.ToString(),
    };

    private static string Informational(Assembly assembly)
    {
        string? version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        return version ?? assembly.GetName().Version?.ToString() ?? "unknown";
    }
}

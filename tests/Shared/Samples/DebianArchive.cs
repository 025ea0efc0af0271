using Disco.Geo.Samples;

namespace Disco.Geo;

/// <summary>
/// For the tests that fetch sample data from Debian's package archive (through apt-get download). They carry
/// <c>[Trait(DebianArchive.Trait, DebianArchive.Value)]</c>, so a machine without the archive can leave them out with
/// <c>--filter "Needs!=DebianArchive"</c>, and when the archive cannot be reached they fail saying so, with apt's own
/// explanation, rather than with whatever the first use of a missing file would throw. Compiled into the test projects.
/// </summary>
internal static class DebianArchive
{
    public const string Trait = "Needs";
    public const string Value = "DebianArchive";

    /// <summary>The local path of <paramref name="file"/>, fetched from the archive into the shared cache when needed.</summary>
    public static async Task<string> FetchAsync(SampleFile file, SampleDataOptions? options = null)
    {
        try
        {
            return await new SampleData(options).GetAsync(file);
        }
        catch (SampleDataException e)
        {
            throw new DebianArchiveException(Explain($"{file.Package} {file.Version}", e.Message), e);
        }
    }

    /// <summary>What to tell the reader of a failed test when the archive did not deliver <paramref name="what"/>.</summary>
    public static string Explain(string what, string reason) =>
        $"This test needs {what} from Debian's package archive, which could not be fetched. Tests marked " +
        $"[Trait(\"{Trait}\", \"{Value}\")] can be left out with --filter \"{Trait}!={Value}\". {reason}";
}

/// <summary>Sample data for a test could not be fetched from Debian's archive; the message says why.</summary>
internal sealed class DebianArchiveException(string message, Exception inner) : Exception(message, inner);

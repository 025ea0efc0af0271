using System.Text.RegularExpressions;
using Disco.Geo.Architecture.Tests.ServerLayers;

namespace Disco.Geo.Architecture.Tests;

/// <summary>
/// The server's folders follow the target layering (see <see cref="ServerLayerRules"/>). The renovation of issue 11 is
/// under way, so the references that still break the target are frozen in <c>ServerLayers/KnownViolations.txt</c>: a
/// new one fails this test, and so does a listed one that is gone (remove its line), so the list only shrinks.
/// </summary>
public sealed partial class ServerLayerTests
{
    private const string KnownViolationsFile = "ServerLayers/KnownViolations.txt";

    [Fact]
    public void Server_folders_break_the_target_layering_nowhere_new_and_the_known_breaks_are_still_real()
    {
        IReadOnlyList<SourceFile> files = SourceFile.LoadAll(Path.Combine(RepositoryRoot.Path, ServerLayerChecker.ServerDirectory));
        Assert.NotEmpty(files);
        IReadOnlyList<Violation> violations = ServerLayerChecker.Check(files, ServerLayerRules.Target);
        HashSet<string> known = KnownViolations();

        Violation[] added = violations.Where(v => !known.Contains(Key(v))).ToArray();
        Violations.AssertNone(added);
        var current = violations.Select(Key).ToHashSet(StringComparer.Ordinal);
        string[] stale = known.Where(k => !current.Contains(k)).Order(StringComparer.Ordinal).ToArray();
        Assert.True(stale.Length == 0, $"fixed, remove from {KnownViolationsFile}:{Environment.NewLine}{string.Join(Environment.NewLine, stale)}");
    }

    /// <summary>A violation without its line number, so edits that move a line do not touch the list.</summary>
    internal static string Key(Violation violation) => $"{LineSuffix().Replace(violation.Where, "")}: {violation.Rule}";

    private static HashSet<string> KnownViolations()
    {
        string path = Path.Combine(RepositoryRoot.Path, "tests", "Disco.Geo.Architecture.Tests", KnownViolationsFile);
        return File.ReadAllLines(path)
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToHashSet(StringComparer.Ordinal);
    }

    [GeneratedRegex(@":\d+$")]
    private static partial Regex LineSuffix();
}

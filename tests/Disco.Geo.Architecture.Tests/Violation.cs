namespace Disco.Geo.Architecture.Tests;

/// <summary>One broken rule: where it is broken (a project, or file:line) and which rule it breaks.</summary>
internal sealed record Violation(string Where, string Rule)
{
    public override string ToString() => $"{Where}: {Rule}";
}

internal static class Violations
{
    /// <summary>Fails with every violation listed, one per line, so a single run shows all the work to do.</summary>
    public static void AssertNone(IReadOnlyCollection<Violation> violations)
    {
        Assert.True(
            violations.Count == 0,
            $"{violations.Count} architecture rule violation(s):{Environment.NewLine}{string.Join(Environment.NewLine, violations)}");
    }
}

namespace Disco.Geo.Architecture.Tests.Projects;

/// <summary>What one source project may reference directly, and what it must never reach even through others.</summary>
/// <param name="Project">The project's name (its .csproj file name).</param>
/// <param name="References">The only projects it may reference directly.</param>
/// <param name="NeverReaches">Projects that must not be in its transitive closure.</param>
/// <param name="NeverGets">Package families that must not reach it, directly or through a referenced project.</param>
/// <param name="Why">The reason for the boundary, shown with every violation.</param>
internal sealed record ProjectRule(
    string Project,
    IReadOnlySet<string> References,
    IReadOnlySet<string> NeverReaches,
    IReadOnlyList<PackageFamily> NeverGets,
    string Why)
{
    /// <summary>Extra references allowed only while <see cref="UntilProjectExists"/> is not in the graph (a renovation in flight).</summary>
    public IReadOnlySet<string> TransitionalReferences { get; init; } = new HashSet<string>();

    public string? UntilProjectExists { get; init; }

    public IReadOnlySet<string> AllowedReferences(ProjectGraph graph) =>
        UntilProjectExists is not null && !graph.Contains(UntilProjectExists)
            ? References.Union(TransitionalReferences).ToHashSet(StringComparer.Ordinal)
            : References;
}

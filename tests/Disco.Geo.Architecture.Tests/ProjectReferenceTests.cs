using Disco.Geo.Architecture.Tests.Projects;

namespace Disco.Geo.Architecture.Tests;

/// <summary>The repository's src/*/*.csproj files follow the target project graph (see <see cref="ProjectRules"/>).</summary>
public sealed class ProjectReferenceTests
{
    [Fact]
    public void Source_projects_reference_only_what_the_rule_table_allows()
    {
        ProjectGraph graph = ProjectGraph.Load(RepositoryRoot.Path);
        Assert.Contains(graph.Nodes, node => node.Name == ProjectRules.Grids);
        Violations.AssertNone(ProjectRuleChecker.Check(graph, ProjectRules.Target));
    }
}
